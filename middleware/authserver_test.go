package middleware_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/internal/policy"
	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

// realServer starts a kunci authorization server on a loopback test server
// with a resource server client, a service client and a JWT signing key.
func realServer(t *testing.T) (*authserver.Server, *httptest.Server) {
	t.Helper()
	return realServerSigning(t, jose.ES256)
}

// realServerSigning is realServer with a signing key for alg.
func realServerSigning(t *testing.T, alg jose.SignatureAlgorithm) (*authserver.Server, *httptest.Server) {
	t.Helper()
	key, err := authserver.GenerateSigningKey(alg)
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	srv, err := authserver.New(authserver.Config{
		Issuer:      issuer,
		Development: authserver.Development{AllowHTTPIssuer: true},
		Scopes:      []authserver.Scope{{Name: "basic_info"}, {Name: "phone"}},
		JWT:         authserver.JWT{SigningKeys: []jose.JSONWebKey{key}, Resources: []string{"https://api.example.com/"}},
	}, store.NewMemoryWithCleanup(0))
	require.NoError(t, err)
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	for _, c := range []authserver.Client{
		{ID: "service", Secret: "service-secret-0123456789", GrantTypes: []authserver.GrantType{authserver.GrantClientCredentials},
			Scopes: []string{"basic_info", "phone"}, Resources: []string{"https://api.example.com/", "https://rs.example.com/"}},
		{ID: "https://rs.example.com/", Secret: "resource-server-secret-01", GrantTypes: []authserver.GrantType{authserver.GrantClientCredentials}},
		{ID: "other-rs", Secret: "other-rs-secret-0123456789", GrantTypes: []authserver.GrantType{authserver.GrantClientCredentials}},
	} {
		require.NoError(t, srv.RegisterClient(t.Context(), c))
	}
	return srv, ts
}

// serviceToken gets a client_credentials token from the real server.
func serviceToken(t *testing.T, ts *httptest.Server, form url.Values) string {
	t.Helper()
	form.Set("grant_type", "client_credentials")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+"/oauth/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("service", "service-secret-0123456789")
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return body.AccessToken
}

// call sends a request with token through h and returns the status and the
// WWW-Authenticate header.
func call(t *testing.T, h http.Handler, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/me", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Header().Get("WWW-Authenticate")
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	info, _ := middleware.TokenInfoFromContext(r.Context())
	w.Write([]byte(info.ClientID))
})

func TestIntrospectionVerifierAgainstRealServer(t *testing.T) {
	srv, ts := realServer(t)
	v, err := middleware.NewIntrospectionVerifier(middleware.IntrospectionConfig{
		URL: ts.URL + "/oauth/introspect", ClientID: "https://rs.example.com/", ClientSecret: "resource-server-secret-01",
		HTTPClient: ts.Client(), CacheTTL: -1, InactiveCacheTTL: -1,
	})
	require.NoError(t, err)
	h := protectWith(t, v, okHandler, "basic_info")

	// A token for this resource server (its client ID is the audience).
	token := serviceToken(t, ts, url.Values{"scope": {"basic_info"}, "resource": {"https://rs.example.com/"}})
	status, _ := call(t, h, token)
	assert.Equal(t, http.StatusOK, status)

	// With an Audience set, the verifier itself refuses tokens for others.
	strict, err := middleware.NewIntrospectionVerifier(middleware.IntrospectionConfig{
		URL: ts.URL + "/oauth/introspect", ClientID: "https://rs.example.com/", ClientSecret: "resource-server-secret-01",
		HTTPClient: ts.Client(), Audience: "https://elsewhere.example/",
	})
	require.NoError(t, err)
	status, _ = call(t, protectWith(t, strict, okHandler), token)
	assert.Equal(t, http.StatusUnauthorized, status)

	// Not enough scope.
	status, challenge := call(t, protectWith(t, v, okHandler, "phone"), token)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, challenge, `error="insufficient_scope"`)

	// A token not meant for this resource server is inactive for it.
	other := serviceToken(t, ts, url.Values{"scope": {"basic_info"}})
	status, challenge = call(t, h, other)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, challenge, `error="invalid_token"`)

	// Revoked: rejected at once (caching is off here).
	require.NoError(t, srv.RevokeToken(t.Context(), token))
	status, challenge = call(t, h, token)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, challenge, `error="invalid_token"`)

	// Wrong resource server credentials are a system failure, not a pass.
	bad, err := middleware.NewIntrospectionVerifier(middleware.IntrospectionConfig{
		URL: ts.URL + "/oauth/introspect", ClientID: "https://rs.example.com/", ClientSecret: "wrong-secret-0123456789",
		HTTPClient: ts.Client(),
	})
	require.NoError(t, err)
	status, _ = call(t, protectWith(t, bad, okHandler), other)
	assert.Equal(t, http.StatusServiceUnavailable, status)
}

func TestJWTVerifierAgainstRealServer(t *testing.T) {
	srv, ts := realServer(t)
	v, err := middleware.NewJWTVerifier(middleware.JWTConfig{
		Issuer: srv.Issuer(), Audience: "https://api.example.com/", JWKSURL: ts.URL + "/oauth/jwks", HTTPClient: ts.Client(),
	})
	require.NoError(t, err)
	h := protectWith(t, v, okHandler, "basic_info")

	token := serviceToken(t, ts, url.Values{"scope": {"basic_info"}, "resource": {"https://api.example.com/"}})
	require.True(t, strings.HasPrefix(token, "eyJ"), "a JWT for a JWT resource")
	status, _ := call(t, h, token)
	assert.Equal(t, http.StatusOK, status)

	// The same token verifies in-process through the server, until revoked.
	inProcess := protectWith(t, srv, okHandler, "basic_info")
	status, _ = call(t, inProcess, token)
	assert.Equal(t, http.StatusOK, status)
	require.NoError(t, srv.RevokeToken(t.Context(), token))
	status, _ = call(t, inProcess, token)
	assert.Equal(t, http.StatusUnauthorized, status)

	// An opaque token means nothing to the JWT verifier.
	opaque := serviceToken(t, ts, url.Values{"scope": {"basic_info"}})
	status, _ = call(t, h, opaque)
	assert.Equal(t, http.StatusUnauthorized, status)
}

// One JOSE policy: a server signing with each key type it supports issues
// JWT access tokens that the default JWTVerifier accepts (issue 12; before,
// an ES384 server's tokens were refused).
func TestEverySigningAlgorithmOfTheServerVerifiesByDefault(t *testing.T) {
	algs := policy.SigningAlgorithms()
	require.Len(t, algs, 6, "ES256, ES384, ES512, EdDSA, RS256, PS256")
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			srv, ts := realServerSigning(t, alg)
			v, err := middleware.NewJWTVerifier(middleware.JWTConfig{
				Issuer: srv.Issuer(), Audience: "https://api.example.com/", JWKSURL: ts.URL + "/oauth/jwks", HTTPClient: ts.Client(),
			})
			require.NoError(t, err)
			token := serviceToken(t, ts, url.Values{"scope": {"basic_info"}, "resource": {"https://api.example.com/"}})
			info, err := v.VerifyAccessToken(t.Context(), token)
			require.NoError(t, err)
			assert.Equal(t, "service", info.ClientID)
			assert.Equal(t, []string{"basic_info"}, info.Scopes)
		})
	}
}

// Options.Audience gives the in-process verifier the audience check the JWT
// and introspection verifiers have (RFC 8707 §2, RFC 9068 §4).
func TestAuthenticateAudienceWithInProcessServer(t *testing.T) {
	srv, ts := realServer(t)
	auth, err := middleware.Authenticate(srv, middleware.Options{Audience: "https://rs.example.com/"})
	require.NoError(t, err)
	h := auth(okHandler)
	mine := serviceToken(t, ts, url.Values{"scope": {"basic_info"}, "resource": {"https://rs.example.com/"}})
	other := serviceToken(t, ts, url.Values{"scope": {"basic_info"}, "resource": {"https://api.example.com/"}})
	none := serviceToken(t, ts, url.Values{"scope": {"basic_info"}})
	status, _ := call(t, h, mine)
	assert.Equal(t, http.StatusOK, status)
	for _, tok := range []string{other, none} {
		status, challenge := call(t, h, tok)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, `Bearer error="invalid_token"`, challenge)
	}
}
