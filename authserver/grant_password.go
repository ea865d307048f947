package authserver

import (
	"context"
	"net/http"
	"time"

	"github.com/kunci/kunci/store"
)

// grantPassword issues tokens for a resource owner's username and password
// (RFC 6749 §4.3). It is off unless Config.CheckPassword is set and the
// client registered the grant. Failures are throttled per username and
// source address.
func (s *Server) grantPassword(ctx context.Context, r *http.Request, client store.Client, f form, requested, resources []string, jkt string) (IssuedToken, error) {
	username, password := f.get("username"), f.get("password")
	if username == "" || !f.has("password") {
		return IssuedToken{}, oauthError(CodeInvalidRequest, "missing username or password")
	}
	scopes, e := s.grantScopes(requested, client.Scopes)
	if e != nil {
		return IssuedToken{}, e
	}
	if e := s.refuseOpenID(scopes); e != nil {
		return IssuedToken{}, e
	}
	if !subset(resources, client.Resources) {
		return IssuedToken{}, oauthError(CodeInvalidTarget, "resource not allowed")
	}
	addr, throttleID := s.sourceIP(r), "u:"+username
	if wait, blocked, err := s.limits.blocked(ctx, throttleID, addr); err != nil {
		return IssuedToken{}, unavailable(err)
	} else if blocked {
		s.emit(ctx, Event{Kind: EventThrottled, ClientID: client.ID})
		return IssuedToken{}, throttled(wait)
	}
	subject, ok, err := s.cfg.CheckPassword(ctx, username, password)
	if err != nil {
		return IssuedToken{}, unavailable(err)
	}
	if !ok || subject == "" {
		s.countFailure(ctx, throttleID, addr)
		s.emit(ctx, Event{Kind: EventPasswordFailed, ClientID: client.ID})
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid username or password")
	}
	now := time.Now()
	refresh := s.mayRefresh(client)
	g := newGrant(client, Session{Subject: subject, AuthTime: now}, scopes, resources, now, s.grantEnd(now, GrantPassword, refresh))
	return s.mint(ctx, issueRequest{
		client:    client,
		grantType: GrantPassword,
		grant:     g,
		unsaved:   true,
		scopes:    scopes,
		audience:  resources,
		refresh:   refresh,
		now:       now,
		jkt:       jkt,
	})
}
