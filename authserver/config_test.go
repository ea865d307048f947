package authserver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

func TestNewRejectsInvalidConfig(t *testing.T) {
	valid := func() authserver.Config { return authserver.Config{Issuer: testIssuer, Scopes: testScopes} }
	tests := []struct {
		name   string
		mutate func(*authserver.Config)
		want   string // a fragment of the error
	}{
		{"a missing issuer", func(c *authserver.Config) { c.Issuer = "" }, "Issuer"},
		{"a relative issuer", func(c *authserver.Config) { c.Issuer = "/auth" }, "Issuer"},
		{"an issuer without scheme", func(c *authserver.Config) { c.Issuer = "auth.example.com" }, "Issuer"},
		{"an http issuer", func(c *authserver.Config) { c.Issuer = "http://auth.example.com" }, "Issuer"},
		{"an http issuer with AllowHTTPIssuer on a public host", func(c *authserver.Config) { c.Issuer = "http://auth.example.com"; c.AllowHTTPIssuer = true }, "Issuer"},
		{"an http issuer on a host named like localhost", func(c *authserver.Config) { c.Issuer = "http://localhost.example.com"; c.AllowHTTPIssuer = true }, "Issuer"},
		{"an http loopback issuer without AllowHTTPIssuer", func(c *authserver.Config) { c.Issuer = "http://127.0.0.1:8080" }, "Issuer"},
		{"an issuer with a query", func(c *authserver.Config) { c.Issuer = "https://auth.example.com?x=1" }, "Issuer"},
		{"an issuer with a fragment", func(c *authserver.Config) { c.Issuer = "https://auth.example.com#x" }, "Issuer"},
		{"an issuer with user info", func(c *authserver.Config) { c.Issuer = "https://u:p@auth.example.com" }, "Issuer"},
		{"an ftp issuer", func(c *authserver.Config) { c.Issuer = "ftp://auth.example.com" }, "Issuer"},
		{"a negative AccessTokenTTL", func(c *authserver.Config) { c.AccessTokenTTL = -time.Second }, "AccessTokenTTL"},
		{"a negative RefreshTokenTTL", func(c *authserver.Config) { c.RefreshTokenTTL = -time.Second }, "RefreshTokenTTL"},
		{"a negative CodeTTL", func(c *authserver.Config) { c.CodeTTL = -time.Second }, "CodeTTL"},
		{"a CodeTTL over ten minutes", func(c *authserver.Config) { c.CodeTTL = 10*time.Minute + time.Second }, "CodeTTL"},
		{"a negative AuthRequestTTL", func(c *authserver.Config) { c.AuthRequestTTL = -time.Second }, "AuthRequestTTL"},
		{"a negative FailureWindow", func(c *authserver.Config) { c.FailureWindow = -time.Second }, "FailureWindow"},
		{"a negative grant lifetime", func(c *authserver.Config) {
			c.GrantLifetimes = map[authserver.GrantType]authserver.Lifetime{"password": {Access: -time.Second}}
		}, "GrantLifetimes"},
		{"an empty scope name", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: ""}) }, "scope"},
		{"a scope with a space", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: "read write"}) }, "scope"},
		{"a scope with a quote", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: `say"hi"`}) }, "scope"},
		{"a scope with a backslash", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: `a\b`}) }, "scope"},
		{"a scope with a non-ASCII letter", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: "café"}) }, "scope"},
		{"a duplicate scope", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: "phone"}) }, "twice"},
		{"a default scope that is not a scope", func(c *authserver.Config) { c.DefaultScopes = []string{"admin"} }, "default scope"},
		{"a negative grace period", func(c *authserver.Config) { c.RefreshGracePeriod = -time.Second }, "RefreshGracePeriod"},
		{"a grace period over a minute", func(c *authserver.Config) { c.RefreshGracePeriod = time.Minute + time.Second }, "RefreshGracePeriod"},
		{"a short RefreshKey", func(c *authserver.Config) { c.RefreshKey = make([]byte, 31) }, "RefreshKey"},
		{"an empty non-nil RefreshKey", func(c *authserver.Config) { c.RefreshKey = []byte{} }, "RefreshKey"},
		{"a relative LoginURL", func(c *authserver.Config) { c.LoginURL = "login" }, "LoginURL"},
		{"a LoginURL with a fragment", func(c *authserver.Config) { c.LoginURL = "/login#x" }, "LoginURL"},
		{"two endpoints on one path", func(c *authserver.Config) { c.Paths.Revoke = "/oauth/token" }, "twice"},
		{"a refresh alias on the token path", func(c *authserver.Config) { c.Paths.Refresh = []string{"/oauth/token"} }, "twice"},
		{"a repeated refresh alias", func(c *authserver.Config) { c.Paths.Refresh = []string{"/r", "/r"} }, "twice"},
		{"a relative path", func(c *authserver.Config) { c.Paths.Token = "oauth/token" }, "Paths"},
		{"a path with a method", func(c *authserver.Config) { c.Paths.Token = "POST /oauth/token" }, "Paths"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.mutate(&cfg)
			srv, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			require.Error(t, err)
			assert.Nil(t, srv)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "authserver: "), err.Error())
		})
	}
}

// Every path goes into a ServeMux, whose Handle panics on a pattern it
// cannot parse. New must return an error instead (it "never panics").
func TestNewRejectsMuxPatternPaths(t *testing.T) {
	for _, paths := range []authserver.Paths{
		{Token: "/oauth/{"},
		{Token: "/oauth/{a}", Revoke: "/oauth/{b}"},
		{Token: "/oauth/token/{x...}/more"},
	} {
		var err error
		assert.NotPanics(t, func() {
			_, err = authserver.New(authserver.Config{Issuer: testIssuer, Paths: paths}, store.NewMemoryWithCleanup(0))
		}, "%+v", paths)
		assert.Error(t, err, "%+v", paths)
	}
}

func TestNewCollectsEveryError(t *testing.T) {
	_, err := authserver.New(authserver.Config{Issuer: "http://x", AccessTokenTTL: -1, RefreshGracePeriod: time.Hour}, store.NewMemoryWithCleanup(0))
	require.Error(t, err)
	for _, want := range []string{"Issuer", "AccessTokenTTL", "RefreshGracePeriod"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestNewAcceptsValidConfig(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*authserver.Config)
	}{
		{"the minimal config", func(*authserver.Config) {}},
		{"an issuer with a path", func(c *authserver.Config) { c.Issuer = "https://example.com/tenant/a" }},
		{"http on localhost with AllowHTTPIssuer", func(c *authserver.Config) { c.Issuer = "http://localhost:8080"; c.AllowHTTPIssuer = true }},
		{"http on 127.0.0.1 with AllowHTTPIssuer", func(c *authserver.Config) { c.Issuer = "http://127.0.0.1:8080"; c.AllowHTTPIssuer = true }},
		{"http on [::1] with AllowHTTPIssuer", func(c *authserver.Config) { c.Issuer = "http://[::1]:8080"; c.AllowHTTPIssuer = true }},
		{"CodeTTL of exactly ten minutes", func(c *authserver.Config) { c.CodeTTL = 10 * time.Minute }},
		{"a grace period of exactly a minute", func(c *authserver.Config) { c.RefreshGracePeriod = time.Minute }},
		{"a 32-byte RefreshKey", func(c *authserver.Config) { c.RefreshKey = make([]byte, 32) }},
		{"no refresh aliases", func(c *authserver.Config) { c.Paths.Refresh = []string{} }},
		{"a negative FailureLimit", func(c *authserver.Config) { c.FailureLimit = -1 }},
		{"a negative ConsentTTL", func(c *authserver.Config) { c.ConsentTTL = -1 }},
		{"default scopes that are scopes", func(c *authserver.Config) { c.DefaultScopes = []string{"basic_info"} }},
		{"an absolute LoginURL", func(c *authserver.Config) { c.LoginURL = "https://app.example.com/login?next=1" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := authserver.Config{Issuer: testIssuer, Scopes: testScopes}
			tc.mutate(&cfg)
			srv, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			require.NoError(t, err)
			assert.Equal(t, cfg.Issuer, srv.Issuer())
		})
	}
}

func TestNewRejectsNilStore(t *testing.T) {
	srv, err := authserver.New(authserver.Config{Issuer: testIssuer}, nil)
	assert.Error(t, err)
	assert.Nil(t, srv)
}

// An empty Paths.Refresh turns the aliases off.
func TestNoRefreshAliases(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) { c.Paths.Refresh = []string{} })
	body := redeem(t, srv, st)
	rec := postForm(t, srv, "/oauth/refresh", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass))
	assert.Equal(t, 404, rec.Code)
}

func TestRegisterClientRejectsInvalid(t *testing.T) {
	ok := func() authserver.Client {
		return authserver.Client{ID: "c", Secret: "0123456789abcdef", RedirectURIs: []string{"https://app.example.com/cb"},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"basic_info"}}
	}
	tests := []struct {
		name   string
		mutate func(*authserver.Client)
	}{
		{"an empty ID", func(c *authserver.Client) { c.ID = "" }},
		{"a relative redirect URI", func(c *authserver.Client) { c.RedirectURIs = []string{"/cb"} }},
		{"a redirect URI without scheme", func(c *authserver.Client) { c.RedirectURIs = []string{"app.example.com/cb"} }},
		{"a redirect URI with a fragment", func(c *authserver.Client) { c.RedirectURIs = []string{"https://app.example.com/cb#frag"} }},
		{"a redirect URI with an empty fragment", func(c *authserver.Client) { c.RedirectURIs = []string{"https://app.example.com/cb#"} }},
		{"a javascript: redirect URI", func(c *authserver.Client) { c.RedirectURIs = []string{"javascript:alert(1)"} }},
		{"a JavaScript: redirect URI in mixed case", func(c *authserver.Client) { c.RedirectURIs = []string{"JavaScript:alert(1)"} }},
		{"a data: redirect URI", func(c *authserver.Client) { c.RedirectURIs = []string{"data:text/html,<script>alert(1)</script>"} }},
		{"a vbscript: redirect URI", func(c *authserver.Client) { c.RedirectURIs = []string{"vbscript:msgbox(1)"} }},
		{"an https redirect URI without host", func(c *authserver.Client) { c.RedirectURIs = []string{"https:///cb"} }},
		{"a bad login URI", func(c *authserver.Client) { c.LoginURIs = []string{"/login"} }},
		{"a secret of 15 characters", func(c *authserver.Client) { c.Secret = "0123456789abcde" }},
		{"a Basic client without a secret", func(c *authserver.Client) { c.Secret = ""; c.AuthMethod = authserver.AuthMethodBasic }},
		{"a post client without a secret", func(c *authserver.Client) { c.Secret = ""; c.AuthMethod = authserver.AuthMethodPost }},
		{"a public client with a secret", func(c *authserver.Client) { c.AuthMethod = authserver.AuthMethodNone }},
		{"an unknown auth method", func(c *authserver.Client) { c.AuthMethod = "private_key_jwt" }},
		{"an unknown grant type", func(c *authserver.Client) { c.GrantTypes = []string{"authorization_code", "device_code"} }},
		{"client_credentials for a public client", func(c *authserver.Client) {
			c.Secret = ""
			c.GrantTypes = []string{"client_credentials"}
		}},
		{"authorization_code without redirect URIs", func(c *authserver.Client) { c.RedirectURIs = nil }},
		{"implicit without redirect URIs", func(c *authserver.Client) { c.RedirectURIs = nil; c.GrantTypes = []string{"implicit"} }},
		{"a scope the server does not know", func(c *authserver.Client) { c.Scopes = []string{"admin"} }},
		{"an unknown token format", func(c *authserver.Client) { c.AccessTokenFormat = "macaroon" }},
		{"a relative resource", func(c *authserver.Client) { c.Resources = []string{"/api"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, st := newTestServer(t, nil)
			c := ok()
			tc.mutate(&c)
			err := srv.RegisterClient(t.Context(), c)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "authserver: "), err.Error())
			if c.Secret != "" {
				assert.NotContains(t, err.Error(), c.Secret, "errors never echo a secret")
			}
			_, err = st.Client(t.Context(), c.ID)
			assert.ErrorIs(t, err, store.ErrNotFound, "nothing is saved")
		})
	}
}

func TestRegisterClientStoresHashedSecret(t *testing.T) {
	srv, st := newTestServer(t, nil)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{
		ID: "native", RedirectURIs: []string{"com.example.app:/oauth2redirect", "http://127.0.0.1:7777/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"},
	}))
	rec, err := st.Client(t.Context(), "native")
	require.NoError(t, err)
	assert.True(t, rec.Public())
	assert.Equal(t, authserver.AuthMethodNone, rec.AuthMethod)

	sv, err := st.Client(t.Context(), serviceID)
	require.NoError(t, err)
	assert.Equal(t, authserver.HashSecret(servicePass), sv.SecretHash)
	assert.NotContains(t, sv.SecretHash, servicePass)
	assert.Equal(t, authserver.AuthMethodBasic, sv.AuthMethod)
}
