package authserver

import (
	"context"

	"github.com/kunci/kunci/store"
)

// grantClientCredentials issues an access token to a confidential client
// acting for itself (RFC 6749 §4.4). No refresh token is issued (§4.4.3).
func (s *Server) grantClientCredentials(ctx context.Context, client store.Client, requested, resources []string) (IssuedToken, error) {
	if client.Public() {
		return IssuedToken{}, oauthError(CodeUnauthorizedClient, "client_credentials needs a confidential client")
	}
	scopes, e := s.grantScopes(requested, client.Scopes)
	if e != nil {
		return IssuedToken{}, e
	}
	if !subset(resources, client.Resources) {
		return IssuedToken{}, oauthError(CodeInvalidTarget, "resource not allowed")
	}
	return s.mint(ctx, issueRequest{
		client:    client,
		grantType: GrantClientCredentials,
		scopes:    scopes,
		audience:  resources,
	})
}
