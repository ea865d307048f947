package authserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

func getMetadata(t *testing.T, h http.Handler, path string) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil))
	require.Equal(t, http.StatusOK, rec.Code, path)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var m map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m))
	return m
}

func TestMetadataDefault(t *testing.T) {
	key := genKey(t, jose.ES256)
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.JWT.SigningKeys = []jose.JSONWebKey{key} })
	m := getMetadata(t, srv, "/.well-known/oauth-authorization-server")
	want := map[string]any{
		"issuer":                                         testIssuer,
		"authorization_endpoint":                         testIssuer + "/oauth/authorize",
		"token_endpoint":                                 testIssuer + "/oauth/token",
		"revocation_endpoint":                            testIssuer + "/oauth/revoke",
		"introspection_endpoint":                         testIssuer + "/oauth/introspect",
		"jwks_uri":                                       testIssuer + "/oauth/jwks",
		"scopes_supported":                               []any{"basic_info", "phone", "keys_op", "update_basic_info"},
		"response_types_supported":                       []any{"code", "token"},
		"response_modes_supported":                       []any{"query", "fragment", "form_post"},
		"grant_types_supported":                          []any{"authorization_code", "refresh_token", "client_credentials", "password", "implicit"},
		"token_endpoint_auth_methods_supported":          []any{"client_secret_basic", "client_secret_post", "none", "private_key_jwt"},
		"revocation_endpoint_auth_methods_supported":     []any{"client_secret_basic", "client_secret_post", "none", "private_key_jwt"},
		"introspection_endpoint_auth_methods_supported":  []any{"client_secret_basic", "client_secret_post", "private_key_jwt"},
		"code_challenge_methods_supported":               []any{"S256"},
		"authorization_response_iss_parameter_supported": true,
	}
	addHighSecurityMetadata(want)
	assert.Equal(t, want, m)
}

// With Grants left nil the implicit grant is off (RFC 9700 §2.1.2): the
// metadata offers response type code only and lists no "implicit".
func TestMetadataDefaultGrantsOmitImplicit(t *testing.T) {
	cfg := testConfig()
	cfg.Grants, cfg.CheckPassword = nil, nil
	st := store.NewMemoryWithCleanup(0)
	srv, err := authserver.New(cfg, st)
	require.NoError(t, err)
	m := getMetadata(t, srv, "/.well-known/oauth-authorization-server")
	assert.Equal(t, []any{"authorization_code", "refresh_token", "client_credentials"}, m["grant_types_supported"])
	assert.Equal(t, []any{"code"}, m["response_types_supported"])
	assert.Equal(t, []any{"query", "form_post"}, m["response_modes_supported"])

	// A client cannot register implicit on this server...
	err = srv.RegisterClient(t.Context(), authserver.Client{ID: "spa", AuthMethod: authserver.AuthMethodNone,
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("implicit")})
	assert.Equal(t, []string{"GrantTypes"}, fields(err))
	assert.ErrorContains(t, err, "GrantTypes: implicit is not offered by this server (Config.Grants)")
	// ...and one stored by other means is still refused response_type=token.
	require.NoError(t, st.SaveClient(t.Context(), store.Client{ID: "spa", AuthMethod: "none",
		RedirectURIs: []string{testRedirect}, GrantTypes: []string{"implicit"}, ResponseTypes: []string{"token"}}))
	b := newBrowser(t, srv)
	resp, _ := b.do(http.MethodGet, "/oauth/authorize?"+url.Values{"response_type": {"token"}, "client_id": {"spa"},
		"redirect_uri": {testRedirect}, "state": {"s"}}.Encode(), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	frag, err := url.ParseQuery(location(t, resp).Fragment)
	require.NoError(t, err)
	assert.Equal(t, "unsupported_response_type", frag.Get("error"))
}

func TestMetadataFollowsConfig(t *testing.T) {
	st := store.NewMemoryWithCleanup(0)
	srv, err := authserver.New(authserver.Config{
		Issuer: "https://nu.id/api",
		Grants: []authserver.GrantType{authserver.GrantClientCredentials},
	}, st)
	require.NoError(t, err)
	m := getMetadata(t, srv, "/.well-known/oauth-authorization-server/api")
	assert.Equal(t, "https://nu.id/api", m["issuer"])
	assert.Equal(t, "https://nu.id/api/oauth/token", m["token_endpoint"])
	assert.Equal(t, []any{"client_credentials"}, m["grant_types_supported"])
	assert.Equal(t, []any{}, m["response_types_supported"])
	for _, absent := range []string{"authorization_endpoint", "jwks_uri", "code_challenge_methods_supported", "scopes_supported"} {
		assert.NotContains(t, m, absent)
	}
	// The plain well-known path works too (for mounting at the host root).
	assert.Equal(t, m, getMetadata(t, srv, "/.well-known/oauth-authorization-server"))

	// A disabled grant is refused at the token endpoint.
	rec := postForm(t, srv, "/oauth/token", map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, "")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "unsupported_grant_type", decodeJSON(t, rec)["error"])
}
