package authserver

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kunci/kunci/store"
)

// Every code and token the server issues belongs to a grant ([store.Grant]),
// saved before anything of it is issued: when the user approves at the
// authorization endpoint (code and implicit responses), and at the token
// endpoint for the password and client_credentials grants and for
// [Server.IssueToken]. The grant records who approved what (client,
// subject, scopes, resources) and the host's session (auth_time, ACR, AMR,
// sid), which every refresh reads again, and it holds the state of its
// refresh token. Each code and token string names its grant (see
// newGrantToken), and revoking the grant ends everything issued from it.
//
// A grant that may get refresh tokens lives Config.Lifetimes.Grant, which
// bounds a refresh chain however often it rotates; one that cannot ends
// with the last access token it can issue. No code or token outlives its
// grant.

// newGrant returns a grant of client for what sess approved at now, ending
// at expiresAt. Only the host's session data is kept; a Session without a
// subject makes a grant of the client acting for itself.
func newGrant(client store.Client, sess Session, scopes, audience []string, now, expiresAt time.Time) store.Grant {
	return store.Grant{
		ID:        newGrantID(),
		ClientID:  client.ID,
		Subject:   sess.Subject,
		Scopes:    scopes,
		Audience:  audience,
		AuthTime:  sess.AuthTime,
		ACR:       sess.ACR,
		AMR:       sess.AMR,
		SessionID: sess.ID,
		CreatedAt: now,
		ExpiresAt: expiresAt,
	}
}

// grantEnd returns when a grant made at now for tokens of grantType ends:
// after Config.Lifetimes.Grant when it may get refresh tokens, otherwise
// when the last access token it can issue expires (for a code, one issued
// as the code expires).
func (s *Server) grantEnd(now time.Time, grantType GrantType, refresh bool) time.Time {
	lt := s.cfg.Lifetimes
	if refresh {
		return now.Add(lt.Grant)
	}
	access, _ := s.cfg.lifetime(grantType)
	if grantType == GrantAuthorizationCode {
		access += lt.Code
	}
	return now.Add(min(access, lt.Grant))
}

// mayRefresh reports whether client's grants get refresh tokens: it
// registered the refresh_token grant and the server offers it. A client
// record stored by other means may name a grant the server no longer
// offers; it gets no refresh token it could never use.
func (s *Server) mayRefresh(client store.Client) bool {
	return allows(client, GrantRefreshToken) && s.grantEnabled(GrantRefreshToken)
}

// refreshes reports whether a grant of client for scopes gets a refresh
// token: the client may refresh (mayRefresh) and, for an OpenID Connect
// grant, the user approved offline_access, or the client opted out of that
// rule with RefreshWithoutOfflineAccess (OpenID Connect Core §11). A grant
// without openid follows mayRefresh alone.
func (s *Server) refreshes(client store.Client, scopes []string) bool {
	if !s.mayRefresh(client) {
		return false
	}
	if !s.cfg.OpenID.Enabled || !slices.Contains(scopes, scopeOpenID) || client.RefreshWithoutOfflineAccess {
		return true
	}
	return slices.Contains(scopes, scopeOfflineAccess)
}

// saveGrant stores a new grant.
func (s *Server) saveGrant(ctx context.Context, g store.Grant) error {
	if err := s.store.SaveGrant(ctx, g); err != nil {
		return unavailable(err)
	}
	return nil
}

// grantGone maps a store error from saving a code or token of a grant, or
// from giving it its first refresh token. A grant that is no longer live
// (revoked meanwhile, as a replay of its code does, or ended as the token
// was being made) or that already has a refresh token is invalid_grant;
// anything else is a store failure.
func grantGone(err error) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrReused) || errors.Is(err, store.ErrExpired) {
		return &Error{Code: CodeInvalidGrant, Description: "the grant was revoked", Err: err}
	}
	return unavailable(err)
}

// earliest returns the earlier of a and b: a token's expiry capped by its
// grant's.
func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
