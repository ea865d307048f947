package authserver_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// A request pushed at one Server is run by another sharing its store (the
// pushed request lives in the store, RFC 9126 §2.2), once.
func TestPushedAcrossServers(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) { c.Browser.Session = signedIn("user-alice") })
	cfg := testConfig()
	cfg.Browser.Session = signedIn("user-alice")
	other, err := authserver.New(cfg, st)
	require.NoError(t, err)
	uri := pushOK(t, srv, pushedQuery(t, nil), basic(confidentialID, confidentialPass))
	c := newInproc(t, other)
	rec := c.authorize(byReference(confidentialID, uri, nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), "Confidential App wants to access your account")
	assertPage(t, newInproc(t, srv).authorize(byReference(confidentialID, uri, nil)), http.StatusBadRequest, "invalid_request_uri", "request_uri is unknown, expired or already used")
}

// A private_key_jwt client's assertion at the pushed authorization request
// endpoint may name that endpoint's URL as aud only with
// AcceptEndpointAudience (draft-ietf-oauth-rfc7523bis).
func TestPushedPrivateKeyJWTEndpointAudience(t *testing.T) {
	key := newClientKey(t, "k1")
	for _, legacy := range []bool{false, true} {
		srv, _ := signedInServer(t, nil)
		require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: keyClientID, AuthMethod: authserver.AuthMethodPrivateKeyJWT,
			JWKS: jwks(t, key), AcceptEndpointAudience: legacy, RedirectURIs: []string{testRedirect},
			GrantTypes: grants("authorization_code"), Scopes: []string{"basic_info", "phone"}}))
		claims := assertionClaims(keyClientID)
		claims.Audience = jwt.Audience{testIssuer + "/oauth/par"}
		form := withAssertion(pushedQuery(t, url.Values{"client_id": {keyClientID}}), key.sign(t, claims))
		if legacy {
			pushOK(t, srv, form, "")
		} else {
			assertOAuthError(t, postForm(t, srv, "/oauth/par", form, ""), http.StatusUnauthorized, "invalid_client")
		}
		claims = assertionClaims(keyClientID)
		pushOK(t, srv, withAssertion(pushedQuery(t, url.Values{"client_id": {keyClientID}}), key.sign(t, claims)), "")
	}
}
