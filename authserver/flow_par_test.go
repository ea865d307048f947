package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// A high-security client end to end: it authenticates with private_key_jwt
// (RFC 7523) at the pushed authorization request endpoint (RFC 9126) and
// at the token endpoint, uses PKCE S256 (RFC 7636), and the browser
// carries only client_id and request_uri. The client side is go-jose and
// the standard library alone.
func TestFlowPushedAuthorizationWithPrivateKeyJWT(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.PushedAuthorization.Required = true })
	key := newClientKey(t, "fapi-1")
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{
		ID: "fapi-client", Name: "FAPI App", AuthMethod: authserver.AuthMethodPrivateKeyJWT, JWKS: jwks(t, key),
		AuthSigningAlg: jose.ES256, RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "refresh_token"),
		Scopes: []string{"basic_info"}, RequirePushedAuthorizationRequests: true,
	}))
	b := newBrowser(t, srv)

	// 1. The client pushes its request, authenticated by an assertion.
	push := url.Values{
		"response_type": {"code"}, "client_id": {"fapi-client"}, "redirect_uri": {testRedirect}, "scope": {"basic_info"},
		"state": {"fapi-state"}, "code_challenge": {testChallenge}, "code_challenge_method": {"S256"},
	}
	requestURI := pushOK(t, srv, withAssertion(push, key.sign(t, assertionClaims("fapi-client"))), "")

	// 2. The browser brings client_id and request_uri; the user signs in
	// and approves.
	resp, _ := b.do(http.MethodGet, "/oauth/authorize?"+byReference("fapi-client", requestURI, nil), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	returnTo := location(t, resp).Query().Get("return_to")
	require.True(t, strings.HasPrefix(returnTo, "/oauth/authorize?request_id="), returnTo)
	b.signIn("user-alice")
	resp, page := b.do(http.MethodGet, returnTo, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "FAPI App wants to access your account")
	form := consentForm(t, page)
	form.Set("decision", "approve")
	form["scope"] = []string{"basic_info"}
	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cb := location(t, resp)
	assert.Equal(t, testRedirect, cb.Scheme+"://"+cb.Host+cb.Path)
	assert.Equal(t, "fapi-state", cb.Query().Get("state"))
	assert.Equal(t, testIssuer, cb.Query().Get("iss"))
	code := cb.Query().Get("code")

	// The request_uri is spent.
	resp, page = b.do(http.MethodGet, "/oauth/authorize?"+byReference("fapi-client", requestURI, nil), nil)
	assertErrorPage(t, resp, page, http.StatusBadRequest, authserver.CodeInvalidRequestURI, "request_uri is unknown, expired or already used")

	// 3. The code exchange: a fresh assertion and the PKCE verifier. The
	// first assertion cannot be used again.
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {testVerifier}}
	body := tokenOK(t, postForm(t, srv, "/oauth/token", withAssertion(exchange, key.sign(t, assertionClaims("fapi-client"))), ""))
	assert.Equal(t, "basic_info", body["scope"])
	info, err := srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
	require.NoError(t, err)
	assert.Equal(t, "user-alice", info.Subject)
	assert.Equal(t, "fapi-client", info.ClientID)

	// 4. The refresh token needs the client's assertion too.
	refresh := refreshForm(str(body, "refresh_token"))
	assertOAuthError(t, postForm(t, srv, "/oauth/token", refresh, ""), http.StatusUnauthorized, "invalid_client")
	tokenOK(t, postForm(t, srv, "/oauth/token", withAssertion(refresh, key.sign(t, assertionClaims("fapi-client"))), ""))
}
