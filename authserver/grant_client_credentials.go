package authserver

import (
	"context"
	"time"

	"github.com/kunci/kunci/store"
)

// grantClientCredentials issues an access token to a confidential client
// acting for itself (RFC 6749 §4.4). No refresh token is issued (§4.4.3).
// Each token gets a grant of its own that ends with it, so that it is
// revoked and expires like every other token.
func (s *Server) grantClientCredentials(ctx context.Context, client store.Client, requested, resources []string, jkt string) (IssuedToken, error) {
	if client.Public() {
		return IssuedToken{}, oauthError(CodeUnauthorizedClient, "client_credentials needs a confidential client")
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
	now := time.Now()
	g := newGrant(client, Session{}, scopes, resources, now, s.grantEnd(now, GrantClientCredentials, false))
	return s.mint(ctx, issueRequest{
		client:    client,
		grantType: GrantClientCredentials,
		grant:     g,
		unsaved:   true,
		scopes:    scopes,
		audience:  resources,
		now:       now,
		jkt:       jkt,
	})
}
