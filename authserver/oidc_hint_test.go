package authserver_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// newHostOIDCServer returns an OpenID Connect server whose session is
// host's, a browser on it, and the host's claims callback.
func newHostOIDCServer(t *testing.T, host *testHost) (*authserver.Server, *inproc, *claimsCall) {
	t.Helper()
	srv, _, claims := newOIDCServer(t, func(c *authserver.Config) { c.Browser.Session = host.session })
	return srv, newInproc(t, srv), claims
}

// rpSignIn runs an authentication request of rp with extra parameters
// through c, approving scopes on the consent page when it is shown, and
// returns the token response of the code exchange.
func rpSignIn(t *testing.T, srv http.Handler, c *inproc, extra url.Values, scopes ...string) map[string]any {
	t.Helper()
	rec := c.authorize(rpQuery(extra))
	if rec.Code == http.StatusOK {
		rec = c.approve(rec, scopes...)
	}
	got := atClient(t, rec, rec.Code, testRedirect)
	require.NotEmpty(t, got.Get("code"), got)
	return exchange(t, srv, got.Get("code"))
}

// signHint signs claims as a JWS of type typ with key, as a forged or
// foreign id_token_hint.
func signHint(t *testing.T, key jose.JSONWebKey, typ string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader(jose.HeaderKey("kid"), key.KeyID)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.Algorithm), Key: key.Key}, opts)
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	sig, err := signer.Sign(payload)
	require.NoError(t, err)
	token, err := sig.CompactSerialize()
	require.NoError(t, err)
	return token
}

// id_token_hint (Core §3.1.2.1): an ID Token the server issued to the
// client names the user who alone may answer the request. Another user
// signed in is login_required with prompt=none, and otherwise the login
// page is asked for that user; back as someone else is login_required.
// Anything but an ID Token of this server for this client is
// invalid_request.
func TestIDTokenHint(t *testing.T) {
	host := &testHost{}
	srv, c, _ := newHostOIDCServer(t, host)
	host.signInNow("user-alice")
	hint := str(rpSignIn(t, srv, c, nil, "openid"), "id_token")
	withHint := func(kv ...string) url.Values {
		v := url.Values{"id_token_hint": {hint}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	got := atClient(t, c.authorize(rpQuery(withHint("prompt", "none"))), http.StatusFound, testRedirect)
	assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), "the hint's user is signed in: %v", got)

	host.signInNow("user-bob")
	assert.Equal(t, clientError("login_required", "another user is signed in than the request names"),
		atClient(t, c.authorize(rpQuery(withHint("prompt", "none"))), http.StatusFound, testRedirect))

	q := loginPage(t, c.authorize(rpQuery(withHint())))
	assert.Equal(t, url.Values{"prompt": {"login"}, "subject": {"user-alice"}}, withoutReturn(q))
	assert.Equal(t, clientError("login_required", "another user is signed in than the request names"),
		atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect))

	q = loginPage(t, c.authorize(rpQuery(withHint())))
	host.signInNow("user-alice")
	got = atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect)
	assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)

	key := oidcRSAKey()
	foreign := genKey(t, jose.RS256)
	foreign.KeyID = key.KeyID
	claims := func(mutate func(map[string]any)) map[string]any {
		m := map[string]any{"iss": testIssuer, "sub": "user-alice", "aud": rpID, "exp": 1, "iat": 1}
		if mutate != nil {
			mutate(m)
		}
		return m
	}
	for _, tc := range []struct{ name, hint string }{
		{"another client's", signHint(t, key, "JWT", claims(func(m map[string]any) { m["aud"] = "other-rp" }))},
		{"another issuer's", signHint(t, key, "JWT", claims(func(m map[string]any) { m["iss"] = "https://evil.example.com" }))},
		{"one without a subject", signHint(t, key, "JWT", claims(func(m map[string]any) { delete(m, "sub") }))},
		{"an access token", signHint(t, key, "at+jwt", claims(nil))},
		{"one signed by another key of the same key ID", signHint(t, foreign, "JWT", claims(nil))},
		{"one with an unsigned header", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + strings.Split(hint, ".")[1] + "."},
		{"a tampered one", hint[:len(hint)-4] + "AAAA"},
		{"not a JWT", "not-a-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, clientError("invalid_request", "id_token_hint is not an ID Token this server issued to the client"),
				atClient(t, c.authorize(rpQuery(url.Values{"id_token_hint": {tc.hint}})), http.StatusFound, testRedirect))
		})
	}

	t.Run("one the server's key signed, expired since 1970", func(t *testing.T) {
		got := atClient(t, c.authorize(rpQuery(url.Values{"id_token_hint": {signHint(t, key, "JWT", claims(nil))}, "prompt": {"none"}})),
			http.StatusFound, testRedirect)
		assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)
	})
	t.Run("a hint and a claims request naming different users", func(t *testing.T) {
		assert.Equal(t, clientError("invalid_request", "id_token_hint and the claims parameter name different users"),
			atClient(t, c.authorize(rpQuery(withHint("claims", `{"id_token":{"sub":{"value":"user-bob"}}}`))), http.StatusFound, testRedirect))
	})
	t.Run("a plain OAuth request ignores it", func(t *testing.T) {
		rec := c.authorize(rpQuery(url.Values{"id_token_hint": {"not-a-token"}, "scope": {"basic_info"}}))
		assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	})
}

// An expired ID Token is still a good hint: Core lets the client send the
// last one it received.
func TestIDTokenHintExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		host := &testHost{}
		srv, c, _ := newHostOIDCServer(t, host)
		host.signInNow("user-alice")
		hint := str(rpSignIn(t, srv, c, nil, "openid"), "id_token")
		time.Sleep(48 * time.Hour)
		got := atClient(t, c.authorize(rpQuery(url.Values{"id_token_hint": {hint}, "prompt": {"none"}})), http.StatusFound, testRedirect)
		assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)
	})
}
