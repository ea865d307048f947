package authserver

import (
	"context"
	"time"

	"github.com/kunci/kunci/store"
)

// grantClientCredentials issues an access token to a confidential client
// acting for itself (RFC 6749 §4.4). No refresh token is issued (§4.4.3),
// and the token belongs to no grant: nobody approved anything that later
// tokens could come from, so the token is all there is to revoke or expire,
// and issuing it costs one store write, verifying it one read.
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
	return s.mint(ctx, issueRequest{
		client:    client,
		grantType: GrantClientCredentials,
		grant: store.Grant{ClientID: client.ID, Scopes: scopes, Audience: resources,
			CreatedAt: now, ExpiresAt: s.grantEnd(now, GrantClientCredentials, false)},
		scopes:   scopes,
		audience: resources,
		now:      now,
		jkt:      jkt,
	})
}
