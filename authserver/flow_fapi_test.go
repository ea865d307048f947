package authserver_test

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/internal/dpop/dpoptest"
	"github.com/kunci/kunci/middleware"
)

// The FAPI 2.0 building blocks together, end to end: a client that
// authenticates with private_key_jwt (RFC 7523) pushes its request (RFC
// 9126) with a DPoP proof, which binds the code to its key (RFC 9449
// §10.1), uses PKCE S256, redeems the code with a proof by the same key,
// and calls a DPoP-protected API through the middleware, where the token
// as a bearer token is refused. Assertions and proofs are made with
// go-jose in the test, not with the server's code.
func TestFlowFAPIPushedDPoPPrivateKeyJWT(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.PushedAuthorization.Required = true
		c.DPoP.Enabled = true
	})
	key := newClientKey(t, "fapi-1")
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{
		ID: "fapi-client", Name: "FAPI App", AuthMethod: authserver.AuthMethodPrivateKeyJWT, JWKS: jwks(t, key),
		AuthSigningAlg: jose.ES256, RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "refresh_token"),
		Scopes: []string{"basic_info"}, RequirePushedAuthorizationRequests: true, DPoPBoundAccessTokens: true,
	}))
	holder, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.EdDSA)
	parProof := func(k dpoptest.Key) string {
		return k.Proof(t, dpoptest.Claims{HTM: http.MethodPost, HTU: testIssuer + "/oauth/par"})
	}
	push := url.Values{
		"response_type": {"code"}, "client_id": {"fapi-client"}, "redirect_uri": {testRedirect}, "scope": {"basic_info"},
		"state": {"fapi-state"}, "code_challenge": {testChallenge}, "code_challenge_method": {"S256"},
	}

	// A proof for another URL, or one contradicting dpop_jkt, is refused.
	wrongURL := holder.Proof(t, dpoptest.Claims{HTM: http.MethodPost, HTU: tokenHTU})
	assertOAuthError(t, postDPoPTo(t, srv, "/oauth/par", withAssertion(push, key.sign(t, assertionClaims("fapi-client"))), "", wrongURL),
		http.StatusBadRequest, "invalid_dpop_proof")
	body := assertOAuthError(t, postDPoPTo(t, srv, "/oauth/par", withAssertion(withValue(maps.Clone(push), "dpop_jkt", other.JKT(t)),
		key.sign(t, assertionClaims("fapi-client"))), "", parProof(holder)), http.StatusBadRequest, "invalid_dpop_proof")
	assert.Equal(t, "dpop_jkt names another key than the DPoP proof (RFC 9449, section 10.1)", body["error_description"])

	// 1. The push, with an assertion and a DPoP proof.
	rec := postDPoPTo(t, srv, "/oauth/par", withAssertion(push, key.sign(t, assertionClaims("fapi-client"))), "", parProof(holder))
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	requestURI := str(decodeJSON(t, rec), "request_uri")
	require.True(t, strings.HasPrefix(requestURI, requestURIPrefix), requestURI)

	// 2. The browser carries client_id and request_uri; the user approves.
	b := newBrowser(t, srv)
	b.signIn("user-alice")
	resp, page := b.do(http.MethodGet, "/oauth/authorize?"+byReference("fapi-client", requestURI, nil), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	form := consentForm(t, page)
	form.Set("decision", "approve")
	form["scope"] = []string{"basic_info"}
	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	code := location(t, resp).Query().Get("code")
	require.NotEmpty(t, code)

	// 3. The code is bound to the pushing key: another key's proof is
	// refused and leaves it unspent; the holder's gets a DPoP token.
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {testVerifier}}
	body = assertOAuthError(t, postDPoP(t, srv, withAssertion(exchange, key.sign(t, assertionClaims("fapi-client"))), "", tokenProof(t, other)),
		http.StatusBadRequest, "invalid_dpop_proof")
	assert.Equal(t, "the DPoP proof is made with another key", body["error_description"])
	tokens := dpopTokenOK(t, postDPoP(t, srv, withAssertion(exchange, key.sign(t, assertionClaims("fapi-client"))), "", tokenProof(t, holder)))
	token := str(tokens, "access_token")

	// 4. The API: DPoP with a proof by the holder's key, never as Bearer.
	auth, err := middleware.Authenticate(srv, middleware.Options{DPoP: &middleware.DPoPOptions{ExternalURL: "https://api.example.com", Replay: st}})
	require.NoError(t, err)
	api := auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := middleware.TokenInfoFromContext(r.Context())
		fmt.Fprint(w, info.Subject, " ", info.ClientID)
	}))
	rec = dpopGet(t, api, "/me", "DPoP", token, "https://api.example.com/me", &holder)
	require.Equal(t, http.StatusOK, rec.Code, rec.Header())
	assert.Equal(t, "user-alice fapi-client", rec.Body.String())
	rec = dpopGet(t, api, "/me", "DPoP", token, "https://api.example.com/me", &other)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	rec = dpopGet(t, api, "/me", "Bearer", token, "", nil)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
}
