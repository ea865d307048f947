package authserver

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kunci/kunci/store"
)

// TokenRequest asks [Server.IssueToken] for tokens without going through HTTP.
type TokenRequest struct {
	// ClientID is the registered client the tokens are for. Required.
	ClientID string
	// Subject is the resource owner; empty for a token acting for the client.
	Subject string
	// Scopes are the scopes to grant; they must be registered for the client.
	// Empty means Config.DefaultScopes.
	Scopes []string
	// Refresh asks for a refresh token too, which needs a Subject and a client
	// that registered the refresh_token grant.
	Refresh bool
	// GrantType selects the lifetimes of Config.Lifetimes.PerGrant and is
	// recorded with the tokens; empty means the default lifetimes. It must
	// be a grant the server offers and the client registered, else the
	// error is unauthorized_client (RFC 6749 §5.2).
	GrantType GrantType
}

// IssueToken issues tokens from a host's own handler, with the same checks
// and records as the token endpoint: the Go equivalent of Apigee handing
// token data to the rest of a proxy. Like every token, they get a grant of
// their own. The returned value holds the token strings; they are not
// stored anywhere in plain form. With OpenID Connect on, the scope openid
// is refused (invalid_scope): only the authorization endpoint signs a user
// in (see [OpenID]).
func (s *Server) IssueToken(ctx context.Context, req TokenRequest) (IssuedToken, error) {
	client, err := s.store.Client(ctx, req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return IssuedToken{}, oauthError(CodeInvalidClient, "unknown client")
	}
	if err != nil {
		return IssuedToken{}, unavailable(err)
	}
	if g := req.GrantType; g != "" && (!slices.Contains(s.cfg.Grants, g) || !allows(client, g)) {
		// The grant type is recorded with the tokens and reported in events;
		// it must be one this server offers and the client registered.
		return IssuedToken{}, oauthError(CodeUnauthorizedClient, "the server does not offer grant_type "+string(g)+" to this client")
	}
	scopes, e := s.grantScopes(req.Scopes, client.Scopes)
	if e != nil {
		return IssuedToken{}, e
	}
	if e := s.refuseOpenID(scopes); e != nil {
		return IssuedToken{}, e
	}
	if req.Refresh && (req.Subject == "" || !s.mayRefresh(client)) {
		return IssuedToken{}, oauthError(CodeUnauthorizedClient, "refresh tokens need a subject and a client with the refresh_token grant")
	}
	now := time.Now()
	g := newGrant(client, Session{Subject: req.Subject}, scopes, nil, now, s.grantEnd(now, req.GrantType, req.Refresh))
	return s.mint(ctx, issueRequest{client: client, grantType: req.GrantType, grant: g, unsaved: true, scopes: scopes, refresh: req.Refresh, now: now})
}

// RevokeToken revokes an access or refresh token from a host's own handler,
// whichever client holds it. A refresh token takes its whole grant with it.
// An unknown token is not an error.
func (s *Server) RevokeToken(ctx context.Context, token string) error {
	return s.revoke(ctx, token, "")
}
