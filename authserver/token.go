package authserver

import (
	"context"
	"net/http"
	"slices"

	"github.com/kunci/kunci/internal/policy"
)

// TokenHandler returns the token endpoint (RFC 6749 §3.2) on its own, for
// hosts that route endpoints themselves. It accepts POST with an
// application/x-www-form-urlencoded body and the grant types
// authorization_code (§4.1.3), refresh_token (§6), client_credentials (§4.4)
// and password (§4.3). With Config.DPoP.Enabled a request with a DPoP proof
// gets a DPoP-bound access token (RFC 9449 §5); a refused proof is 400
// invalid_dpop_proof, a missing nonce 400 use_dpop_nonce with the nonce in
// the DPoP-Nonce header.
func (s *Server) TokenHandler() http.Handler {
	return s.withDPoPNonce(s.postEndpoint(func(r *http.Request, f form) ([]byte, error) {
		return s.token(r.Context(), r, f, false)
	}))
}

// refreshAliasHandler serves the refresh-only aliases of the token endpoint
// (NU.ID's /oauth/refreshAccessToken, Apigee's /oauth/refresh). They run the
// same code as the token endpoint, and any other grant type there is
// unsupported_grant_type.
func (s *Server) refreshAliasHandler() http.Handler {
	return s.withDPoPNonce(s.postEndpoint(func(r *http.Request, f form) ([]byte, error) {
		return s.token(r.Context(), r, f, true)
	}))
}

// token runs one token request and returns the response body.
func (s *Server) token(ctx context.Context, r *http.Request, f form, refreshOnly bool) ([]byte, error) {
	grant := GrantType(f.get("grant_type"))
	if grant == "" {
		// Version 1 of the NU.ID API sends a code exchange without grant_type.
		if refreshOnly || !s.cfg.Compat.AcceptMissingGrantType || !f.has("code") {
			return nil, oauthError(CodeInvalidRequest, "missing grant_type")
		}
		grant = GrantAuthorizationCode
	}
	switch {
	case refreshOnly && grant != GrantRefreshToken:
		return nil, oauthError(CodeUnsupportedGrantType, "only refresh_token is accepted here")
	case !s.grantEnabled(grant):
		return nil, oauthError(CodeUnsupportedGrantType, "unsupported grant_type")
	}
	proof, err := s.checkProof(r, s.tokenURL(r))
	if err != nil {
		return nil, err
	}
	client, e := s.authenticateClient(ctx, r, f)
	if e != nil {
		return nil, e
	}
	if !allows(client, grant) {
		return nil, oauthError(CodeUnauthorizedClient, "grant type not allowed for this client")
	}
	jkt, err := s.tokenProof(ctx, proof, client)
	if err != nil {
		return nil, err
	}
	requested, ok := policy.ParseScope(f.get("scope"))
	if !ok {
		return nil, oauthError(CodeInvalidScope, "malformed scope")
	}
	resources, e := uniqueResources(f.resources())
	if e != nil {
		return nil, e
	}
	for _, res := range resources {
		if checkResource(res) != nil {
			return nil, oauthError(CodeInvalidTarget, "malformed resource")
		}
	}
	var it IssuedToken
	switch grant {
	case GrantAuthorizationCode:
		it, err = s.grantCode(ctx, client, f, requested, resources, jkt)
	case GrantRefreshToken:
		it, err = s.grantRefresh(ctx, client, f, requested, resources, jkt)
	case GrantClientCredentials:
		it, err = s.grantClientCredentials(ctx, client, requested, resources, jkt)
	case GrantPassword:
		it, err = s.grantPassword(ctx, r, client, f, requested, resources, jkt)
	}
	if err != nil {
		return nil, err
	}
	return s.tokenBody(ctx, it, requested, f.get("state")), nil
}

// grantEnabled reports whether the server offers grant at all; each client
// must also register it.
func (s *Server) grantEnabled(grant GrantType) bool {
	return grant != GrantImplicit && slices.Contains(s.cfg.Grants, grant)
}
