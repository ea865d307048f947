package authserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// oidcConfig is a valid OpenID Connect configuration: testConfig with
// OpenID Connect on and an RS256 key.
func oidcConfig() authserver.Config {
	c := testConfig()
	c.OpenID = authserver.OpenID{Enabled: true, Claims: (&claimsCall{}).claims}
	c.JWT.SigningKeys = []jose.JSONWebKey{oidcRSAKey()}
	return c
}

// New refuses an OpenID Connect configuration that cannot work, naming the
// field and saying what is missing.
func TestNewRejectsOpenIDConfig(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*authserver.Config)
		err    string // the one error
	}{
		{"no claims callback", func(c *authserver.Config) { c.OpenID.Claims = nil },
			"authserver: config: OpenID.Claims: is required with OpenID.Enabled: the UserInfo endpoint answers with the claims it returns"},
		{"no browser side", func(c *authserver.Config) {
			c.Browser, c.Grants, c.CheckPassword = authserver.Browser{}, nil, nil
		}, "authserver: config: Browser: OpenID Connect needs the authorization endpoint: set Browser.Session and Browser.LoginURL"},
		{"no authorization_code grant", func(c *authserver.Config) {
			c.Grants = []authserver.GrantType{authserver.GrantClientCredentials, authserver.GrantPassword}
		}, "authserver: config: Grants: OpenID Connect needs authorization_code"},
		{"no signing keys", func(c *authserver.Config) { c.JWT.SigningKeys = nil },
			"authserver: config: JWT.SigningKeys: OpenID Connect needs a key with alg RS256 (OpenID Connect Core §15.1)"},
		{"keys without RS256", func(c *authserver.Config) {
			k, err := authserver.GenerateSigningKey(jose.ES256)
			if err != nil {
				panic(err)
			}
			c.JWT.SigningKeys = []jose.JSONWebKey{k}
		}, "authserver: config: JWT.SigningKeys: OpenID Connect needs a key with alg RS256 (OpenID Connect Core §15.1)"},
		{"openid as a default scope", func(c *authserver.Config) {
			c.Scopes = append(c.Scopes, authserver.Scope{Name: "openid"})
			c.DefaultScopes = []string{"openid"}
		}, "authserver: config: DefaultScopes: must not name openid: a client asks for an OpenID Connect sign-in itself (OpenID Connect Core §3.1.2.1)"},
		{"a scope releasing sub", func(c *authserver.Config) {
			c.Scopes = append(c.Scopes, authserver.Scope{Name: "me", Claims: []string{"name", "sub"}})
		}, `authserver: config: Scopes: "me" names the claim "sub", which the server sets itself`},
		{"a scope releasing nonce", func(c *authserver.Config) {
			c.Scopes = append(c.Scopes, authserver.Scope{Name: "me", Claims: []string{"nonce"}})
		}, `authserver: config: Scopes: "me" names the claim "nonce", which the server sets itself`},
		{"a scope releasing an empty name", func(c *authserver.Config) {
			c.Scopes = append(c.Scopes, authserver.Scope{Name: "me", Claims: []string{""}})
		}, `authserver: config: Scopes: "me" names an empty claim`},
		{"a negative ID Token lifetime", func(c *authserver.Config) { c.Lifetimes.IDToken = -time.Second },
			"authserver: config: Lifetimes.IDToken: must not be negative"},
		{"UserInfo on the token path", func(c *authserver.Config) { c.Paths.UserInfo = "/oauth/token" },
			`authserver: config: Paths.UserInfo: "/oauth/token" is already the path of Paths.Token`},
		{"an endpoint on the discovery path", func(c *authserver.Config) { c.Paths.Revoke = "/.well-known/openid-configuration" },
			`authserver: config: OpenID.Enabled: "/.well-known/openid-configuration" is already the path of Paths.Revoke`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oidcConfig()
			tc.mutate(&cfg)
			_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			require.Len(t, fieldErrors(err), 1, "%v", err)
			assert.EqualError(t, fieldErrors(err)[0], tc.err)
		})
	}
}

// With OpenID Connect off, its settings would do nothing: New refuses each.
func TestNewRejectsOpenIDSettingsWhileOff(t *testing.T) {
	claims := func(context.Context, string, []string) (map[string]any, error) { return nil, nil }
	tests := []struct {
		name   string
		mutate func(*authserver.Config)
		err    string
	}{
		{"the claims callback", func(c *authserver.Config) { c.OpenID.Claims = claims },
			"authserver: config: OpenID.Claims: is set but OpenID Connect is off: set OpenID.Enabled"},
		{"the UserInfo path", func(c *authserver.Config) { c.Paths.UserInfo = "/me" },
			"authserver: config: Paths.UserInfo: is set but OpenID Connect is off: set OpenID.Enabled"},
		{"the ID Token lifetime", func(c *authserver.Config) { c.Lifetimes.IDToken = time.Minute },
			"authserver: config: Lifetimes.IDToken: is set but OpenID Connect is off: set OpenID.Enabled"},
		{"a scope's claims", func(c *authserver.Config) { c.Scopes[0].Claims = []string{"name"} },
			`authserver: config: Scopes: "basic_info" has Claims but OpenID Connect is off: set OpenID.Enabled`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Scopes = append([]authserver.Scope(nil), cfg.Scopes...)
			tc.mutate(&cfg)
			_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			require.Len(t, fieldErrors(err), 1, "%v", err)
			assert.EqualError(t, fieldErrors(err)[0], tc.err)
		})
	}
}

// New adds openid and offline_access to the known scopes, fills in the
// standard claims, and never writes to the host's Scopes.
func TestNewAddsOpenIDScopes(t *testing.T) {
	cfg := oidcConfig()
	scopes := append(make([]authserver.Scope, 0, 8), cfg.Scopes...)
	scopes = append(scopes, authserver.Scope{Name: "email", Description: "Read your email"})
	cfg.Scopes = scopes
	srv, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
	require.NoError(t, err)
	assert.Len(t, scopes, 5, "the host's slice is not appended to")
	assert.Nil(t, scopes[4].Claims, "nor are its elements changed")
	m := getMetadata(t, srv, "/.well-known/openid-configuration")
	assert.Equal(t, []any{"basic_info", "phone", "keys_op", "update_basic_info", "email", "openid", "offline_access"}, m["scopes_supported"])
	assert.Equal(t, []any{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid",
		"phone_number", "phone_number_verified", "email", "email_verified"}, m["claims_supported"])
}

// RegisterClient checks a client's OpenID Connect settings: the ID Token
// algorithm must be one a key signs, never none, and neither setting is
// accepted with OpenID Connect off.
func TestRegisterClientOpenID(t *testing.T) {
	es := genKey(t, jose.ES256)
	srv, st, _ := newOIDCServer(t, func(c *authserver.Config) { c.JWT.SigningKeys = append(c.JWT.SigningKeys, es) })
	off, _ := newTestServer(t, nil)
	base := func() authserver.Client {
		return authserver.Client{ID: "c", Secret: rpSecret, RedirectURIs: []string{testRedirect},
			GrantTypes: grants("authorization_code", "refresh_token"), Scopes: []string{"openid"}}
	}
	tests := []struct {
		name   string
		srv    *authserver.Server
		mutate func(*authserver.Client)
		err    string
	}{
		{"none", srv, func(c *authserver.Client) { c.IDTokenSignedResponseAlg = "none" },
			`authserver: client "c": IDTokenSignedResponseAlg: none is refused: ID Tokens are always signed`},
		{"an algorithm no key signs", srv, func(c *authserver.Client) { c.IDTokenSignedResponseAlg = jose.ES384 },
			`authserver: client "c": IDTokenSignedResponseAlg: "ES384" is not the algorithm of a key in Config.JWT.SigningKeys, which sign [RS256 ES256]`},
		{"HS256", srv, func(c *authserver.Client) { c.IDTokenSignedResponseAlg = jose.HS256 },
			`authserver: client "c": IDTokenSignedResponseAlg: "HS256" is not the algorithm of a key in Config.JWT.SigningKeys, which sign [RS256 ES256]`},
		{"always refresh without the refresh grant", srv, func(c *authserver.Client) {
			c.GrantTypes = grants("authorization_code")
			c.RefreshWithoutOfflineAccess = true
		}, `authserver: client "c": RefreshWithoutOfflineAccess: needs the refresh_token grant in GrantTypes`},
		{"an algorithm with OpenID Connect off", off, func(c *authserver.Client) {
			c.Scopes = nil
			c.IDTokenSignedResponseAlg = jose.RS256
		}, `authserver: client "c": IDTokenSignedResponseAlg: is set but OpenID Connect is off (Config.OpenID.Enabled)`},
		{"always refresh with OpenID Connect off", off, func(c *authserver.Client) {
			c.Scopes = nil
			c.RefreshWithoutOfflineAccess = true
		}, `authserver: client "c": RefreshWithoutOfflineAccess: is set but OpenID Connect is off (Config.OpenID.Enabled)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mutate(&c)
			err := tc.srv.RegisterClient(t.Context(), c)
			require.Len(t, fieldErrors(err), 1, "%v", err)
			assert.EqualError(t, fieldErrors(err)[0], tc.err)
		})
	}

	c := base()
	c.IDTokenSignedResponseAlg, c.RefreshWithoutOfflineAccess = jose.ES256, true
	require.NoError(t, srv.RegisterClient(t.Context(), c))
	rec, err := st.Client(t.Context(), "c")
	require.NoError(t, err)
	assert.Equal(t, "ES256", rec.IDTokenSignedResponseAlg)
	assert.True(t, rec.RefreshWithoutOfflineAccess)
}

// A stored client naming an algorithm no key signs (saved by other means,
// or the keys changed) gets server_error, never an ID Token signed some
// other way; the cause is logged, not sent.
func TestOpenIDClientAlgorithmWithoutKey(t *testing.T) {
	srv, st, _ := newOIDCServer(t, nil)
	require.NoError(t, st.SaveClient(t.Context(), store.Client{ID: "stale", SecretHash: hashOf(rpSecret), AuthMethod: "client_secret_basic",
		RedirectURIs: []string{testRedirect}, GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
		Scopes: []string{"openid"}, IDTokenSignedResponseAlg: "ES512"}))
	code := issueCode(t, st, codeSpec{clientID: "stale", redirectURI: testRedirect, challenge: testChallenge, scopes: []string{"openid"}})
	rec := postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic("stale", rpSecret))
	body := assertOAuthError(t, rec, http.StatusInternalServerError, "server_error")
	assert.Equal(t, "internal error", body["error_description"])
}

// Off, the server is byte for byte the OAuth 2.0 server: no UserInfo, no
// OpenID configuration, the same metadata document, and openid an
// ordinary scope that gives no ID Token.
func TestOpenIDOffChangesNothing(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Scopes = append(c.Scopes, authserver.Scope{Name: "openid", Description: "Just a scope"})
	})
	for _, path := range []string{"/oauth/userinfo", "/.well-known/openid-configuration"} {
		rec := serve(srv, bearerGet(t, path, "kat_x"))
		assert.Equal(t, http.StatusNotFound, rec.Code, path)
	}
	assert.Equal(t, http.StatusNotFound, serve(srv.UserInfoHandler(), bearerGet(t, "/", "kat_x")).Code)
	rec := serve(srv, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/.well-known/oauth-authorization-server", nil))
	assert.Equal(t, `{"issuer":"https://auth.example.com","authorization_endpoint":"https://auth.example.com/oauth/authorize",`+
		`"token_endpoint":"https://auth.example.com/oauth/token","scopes_supported":["basic_info","phone","keys_op","update_basic_info","openid"],`+
		`"response_types_supported":["code","token"],"response_modes_supported":["query","fragment","form_post"],`+
		`"grant_types_supported":["authorization_code","refresh_token","client_credentials","password","implicit"],`+
		`"token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","none","private_key_jwt"],`+
		`"revocation_endpoint":"https://auth.example.com/oauth/revoke",`+
		`"revocation_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","none","private_key_jwt"],`+
		`"introspection_endpoint":"https://auth.example.com/oauth/introspect",`+
		`"introspection_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","private_key_jwt"],`+
		`"code_challenge_methods_supported":["S256"],"authorization_response_iss_parameter_supported":true,`+
		`"pushed_authorization_request_endpoint":"https://auth.example.com/oauth/par",`+
		`"token_endpoint_auth_signing_alg_values_supported":["ES256","ES384","ES512","EdDSA","RS256","PS256"],`+
		`"revocation_endpoint_auth_signing_alg_values_supported":["ES256","ES384","ES512","EdDSA","RS256","PS256"],`+
		`"introspection_endpoint_auth_signing_alg_values_supported":["ES256","ES384","ES512","EdDSA","RS256","PS256"]}`, rec.Body.String())

	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "plain", Secret: rpSecret, RedirectURIs: []string{testRedirect},
		GrantTypes: grants("authorization_code", "refresh_token"), Scopes: []string{"openid"}}))
	code := issueCode(t, st, codeSpec{clientID: "plain", redirectURI: testRedirect, challenge: testChallenge, scopes: []string{"openid"}})
	body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic("plain", rpSecret)))
	assert.ElementsMatch(t, []string{"access_token", "token_type", "expires_in", "refresh_token", "scope"}, keysOf(body))
	b := newBrowser(t, srv)
	// And a redirect_uri may still be left out.
	resp, _ := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(map[string][]string{"client_id": {"plain"}, "redirect_uri": nil, "scope": {"openid"}}), nil)
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/login", location(t, resp).Path)
}

// keysOf returns the keys of m.
func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
