package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// The OpenID Provider configuration (Discovery §3, §4) is the RFC 8414
// document with the OpenID fields, the same bytes at both well-known paths.
func TestOpenIDDiscovery(t *testing.T) {
	es := genKey(t, jose.ES256)
	srv, _, _ := newOIDCServer(t, func(c *authserver.Config) { c.JWT.SigningKeys = append(c.JWT.SigningKeys, es) })
	m := getMetadata(t, srv, "/.well-known/openid-configuration")
	want := map[string]any{
		"issuer":                                         testIssuer,
		"authorization_endpoint":                         testIssuer + "/oauth/authorize",
		"token_endpoint":                                 testIssuer + "/oauth/token",
		"userinfo_endpoint":                              testIssuer + "/oauth/userinfo",
		"revocation_endpoint":                            testIssuer + "/oauth/revoke",
		"introspection_endpoint":                         testIssuer + "/oauth/introspect",
		"jwks_uri":                                       testIssuer + "/oauth/jwks",
		"scopes_supported":                               []any{"basic_info", "phone", "keys_op", "update_basic_info", "profile", "email", "address", "openid", "offline_access"},
		"response_types_supported":                       []any{"code", "token"},
		"response_modes_supported":                       []any{"query", "fragment", "form_post"},
		"grant_types_supported":                          []any{"authorization_code", "refresh_token", "client_credentials", "password", "implicit"},
		"token_endpoint_auth_methods_supported":          []any{"client_secret_basic", "client_secret_post", "none", "private_key_jwt"},
		"revocation_endpoint_auth_methods_supported":     []any{"client_secret_basic", "client_secret_post", "none", "private_key_jwt"},
		"introspection_endpoint_auth_methods_supported":  []any{"client_secret_basic", "client_secret_post", "private_key_jwt"},
		"code_challenge_methods_supported":               []any{"S256"},
		"authorization_response_iss_parameter_supported": true,
		"subject_types_supported":                        []any{"public"},
		"id_token_signing_alg_values_supported":          []any{"RS256", "ES256"},
		"claims_supported": []any{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid",
			"name", "email", "phone_number", "phone_number_verified",
			"family_name", "given_name", "middle_name", "nickname", "preferred_username", "profile", "picture", "website",
			"gender", "birthdate", "zoneinfo", "locale", "updated_at", "email_verified", "address"},
		"claims_parameter_supported":      true,
		"request_parameter_supported":     false,
		"request_uri_parameter_supported": false,
		"prompt_values_supported":         []any{"none", "login", "consent", "select_account"},
	}
	addHighSecurityMetadata(want)
	assert.Equal(t, want, m)

	get := func(path string) string {
		rec := serve(srv, httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil))
		require.Equal(t, http.StatusOK, rec.Code, path)
		return rec.Body.String()
	}
	assert.Equal(t, get("/.well-known/oauth-authorization-server"), get("/.well-known/openid-configuration"))
}

// Discovery appends its path to the issuer's (Discovery §4.1): for an
// issuer with a path, a host mounts the server there with http.StripPrefix
// and a relying party finds the configuration below it.
func TestOpenIDDiscoveryUnderIssuerPath(t *testing.T) {
	const issuer = testIssuer + "/api"
	srv, _, _ := newOIDCServer(t, func(c *authserver.Config) { c.Issuer = issuer })
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", srv))
	ctx := oidc.ClientContext(t.Context(), &http.Client{Transport: handlerTransport{mux}})
	provider, err := oidc.NewProvider(ctx, issuer)
	require.NoError(t, err)
	assert.Equal(t, issuer+"/oauth/authorize", provider.Endpoint().AuthURL)
	assert.Equal(t, issuer+"/oauth/token", provider.Endpoint().TokenURL)
	assert.Equal(t, issuer+"/oauth/userinfo", provider.UserInfoEndpoint())
	var c struct {
		JWKS string `json:"jwks_uri"`
	}
	require.NoError(t, provider.Claims(&c))
	assert.Equal(t, issuer+"/oauth/jwks", c.JWKS)
}
