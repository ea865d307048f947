package authserver_test

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// fieldErrors returns every *FieldError joined into err.
func fieldErrors(err error) []*authserver.FieldError {
	var out []*authserver.FieldError
	var walk func(error)
	walk = func(err error) {
		var fe *authserver.FieldError
		switch e := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(err, &fe) {
				out = append(out, fe)
			}
		}
	}
	walk(err)
	return out
}

// fields returns the Field of every *FieldError in err.
func fields(err error) []string {
	var out []string
	for _, fe := range fieldErrors(err) {
		out = append(out, fe.Field)
	}
	return out
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	valid := func() authserver.Config { return authserver.Config{Issuer: testIssuer, Scopes: testScopes} }
	session := func(*http.Request) (authserver.Session, bool) { return authserver.Session{}, false }
	tests := []struct {
		name   string
		mutate func(*authserver.Config)
		field  string // the one field the error names
	}{
		{"a missing issuer", func(c *authserver.Config) { c.Issuer = "" }, "Issuer"},
		{"a relative issuer", func(c *authserver.Config) { c.Issuer = "/auth" }, "Issuer"},
		{"an issuer without scheme", func(c *authserver.Config) { c.Issuer = "auth.example.com" }, "Issuer"},
		{"an http issuer", func(c *authserver.Config) { c.Issuer = "http://auth.example.com" }, "Issuer"},
		{"an http issuer with AllowHTTPIssuer on a public host", func(c *authserver.Config) {
			c.Issuer = "http://auth.example.com"
			c.Development.AllowHTTPIssuer = true
		}, "Issuer"},
		{"an http issuer on a host named like localhost", func(c *authserver.Config) {
			c.Issuer = "http://localhost.example.com"
			c.Development.AllowHTTPIssuer = true
		}, "Issuer"},
		{"an http loopback issuer without AllowHTTPIssuer", func(c *authserver.Config) { c.Issuer = "http://127.0.0.1:8080" }, "Issuer"},
		{"an issuer with an empty query", func(c *authserver.Config) { c.Issuer = "https://auth.example.com?" }, "Issuer"},
		{"an issuer with user info", func(c *authserver.Config) { c.Issuer = "https://u:p@auth.example.com" }, "Issuer"},
		{"an ftp issuer", func(c *authserver.Config) { c.Issuer = "ftp://auth.example.com" }, "Issuer"},
		{"a negative access token lifetime", func(c *authserver.Config) { c.Lifetimes.AccessToken = -time.Second }, "Lifetimes.AccessToken"},
		{"a negative refresh token lifetime", func(c *authserver.Config) { c.Lifetimes.RefreshToken = -time.Second }, "Lifetimes.RefreshToken"},
		{"a negative code lifetime", func(c *authserver.Config) { c.Lifetimes.Code = -time.Second }, "Lifetimes.Code"},
		{"a code lifetime over ten minutes", func(c *authserver.Config) { c.Lifetimes.Code = 10*time.Minute + time.Second }, "Lifetimes.Code"},
		{"a negative pending request lifetime", func(c *authserver.Config) { c.Lifetimes.AuthRequest = -time.Second }, "Lifetimes.AuthRequest"},
		{"a negative failure window", func(c *authserver.Config) { c.Limits.FailureWindow = -time.Second }, "Limits.FailureWindow"},
		{"a negative absolute grant lifetime", func(c *authserver.Config) { c.Lifetimes.Grant = -time.Second }, "Lifetimes.Grant"},
		{"a grant lifetime shorter than the refresh token's", func(c *authserver.Config) {
			c.Lifetimes.Grant = 23 * time.Hour
		}, "Lifetimes.Grant"},
		{"a grant lifetime shorter than a refresh token lifetime of one grant type", func(c *authserver.Config) {
			c.Lifetimes.Grant = 48 * time.Hour
			c.Lifetimes.PerGrant = map[authserver.GrantType]authserver.Lifetime{"client_credentials": {Refresh: 72 * time.Hour}}
		}, "Lifetimes.Grant"},
		{"a negative grant lifetime", func(c *authserver.Config) {
			c.Lifetimes.PerGrant = map[authserver.GrantType]authserver.Lifetime{"client_credentials": {Access: -time.Second}}
		}, `Lifetimes.PerGrant["client_credentials"]`},
		{"a lifetime for a grant not offered (a typo)", func(c *authserver.Config) {
			c.Lifetimes.PerGrant = map[authserver.GrantType]authserver.Lifetime{"pasword": {Access: time.Minute}}
		}, `Lifetimes.PerGrant["pasword"]`},
		{"an empty non-nil Grants", func(c *authserver.Config) { c.Grants = []authserver.GrantType{} }, "Grants"},
		{"refresh aliases turned off and set", func(c *authserver.Config) {
			c.Compat.NoRefreshAliases = true
			c.Compat.RefreshAliases = []string{"/r"}
		}, "Compat.RefreshAliases"},
		{"consent-sso turned off and set", func(c *authserver.Config) {
			c.Browser.Session, c.Browser.LoginURL = session, "/login"
			c.Compat.NoConsentSSO = true
			c.Compat.ConsentSSOPath = "/sso"
		}, "Compat.ConsentSSOPath"},
		{"refresh rotation without the refresh grant", func(c *authserver.Config) {
			c.Grants = []authserver.GrantType{authserver.GrantClientCredentials}
			c.RefreshRotation.GracePeriod = time.Second
		}, "RefreshRotation"},
		{"a consent lifetime without the browser side", func(c *authserver.Config) { c.Lifetimes.Consent = time.Hour }, "Lifetimes.Consent"},
		{"plain PKCE without the browser side", func(c *authserver.Config) { c.Compat.AcceptPlainPKCE = true }, "Compat.AcceptPlainPKCE"},
		{"a consent template without the browser side", func(c *authserver.Config) { c.Browser.ConsentTemplate = template.New("c") }, "Browser.ConsentTemplate"},
		{"an empty scope name", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: ""}) }, "Scopes"},
		{"a scope with a space", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: "read write"}) }, "Scopes"},
		{"a scope with a quote", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: `say"hi"`}) }, "Scopes"},
		{"a scope with a backslash", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: `a\b`}) }, "Scopes"},
		{"a scope with a non-ASCII letter", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: "café"}) }, "Scopes"},
		{"a duplicate scope", func(c *authserver.Config) { c.Scopes = append(c.Scopes, authserver.Scope{Name: "phone"}) }, "Scopes"},
		{"a default scope that is not a scope", func(c *authserver.Config) { c.DefaultScopes = []string{"admin"} }, "DefaultScopes"},
		{"a negative grace period", func(c *authserver.Config) { c.RefreshRotation.GracePeriod = -time.Second }, "RefreshRotation.GracePeriod"},
		{"a grace period over a minute", func(c *authserver.Config) { c.RefreshRotation.GracePeriod = time.Minute + time.Second }, "RefreshRotation.GracePeriod"},
		{"a short refresh key", func(c *authserver.Config) { c.RefreshRotation.Key = make([]byte, 31) }, "RefreshRotation.Key"},
		{"an empty non-nil refresh key", func(c *authserver.Config) { c.RefreshRotation.Key = []byte{} }, "RefreshRotation.Key"},
		{"a relative login URL", func(c *authserver.Config) { c.Browser.Session = session; c.Browser.LoginURL = "login" }, "Browser.LoginURL"},
		{"a login URL with a fragment", func(c *authserver.Config) { c.Browser.Session = session; c.Browser.LoginURL = "/login#x" }, "Browser.LoginURL"},
		{"two endpoints on one path", func(c *authserver.Config) { c.Paths.Revoke = "/oauth/token" }, "Paths.Revoke"},
		{"a refresh alias on the token path", func(c *authserver.Config) { c.Compat.RefreshAliases = []string{"/oauth/token"} }, "Compat.RefreshAliases"},
		{"a repeated refresh alias", func(c *authserver.Config) { c.Compat.RefreshAliases = []string{"/r", "/r"} }, "Compat.RefreshAliases"},
		{"consent-sso on the token path", func(c *authserver.Config) {
			c.Browser.Session, c.Browser.LoginURL = session, "/login"
			c.Compat.ConsentSSOPath = "/oauth/token"
		}, "Compat.ConsentSSOPath"},
		{"a relative path", func(c *authserver.Config) { c.Paths.Token = "oauth/token" }, "Paths.Token"},
		{"a path with a method", func(c *authserver.Config) { c.Paths.Token = "POST /oauth/token" }, "Paths.Token"},
		{"an unknown grant type", func(c *authserver.Config) { c.Grants = []authserver.GrantType{"device_code"} }, "Grants"},
		{"JWT resources without keys", func(c *authserver.Config) { c.JWT.Resources = []string{"https://api.example.com"} }, "JWT.Resources"},
		{"a relative default resource", func(c *authserver.Config) { c.JWT.DefaultResource = "/api" }, "JWT.DefaultResource"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.mutate(&cfg)
			srv, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			require.Error(t, err)
			assert.Nil(t, srv)
			assert.Equal(t, []string{tc.field}, fields(err), "%v", err)
			assert.True(t, strings.HasPrefix(err.Error(), "authserver: config: "+tc.field+": "), err.Error())
		})
	}
}

// The setups issue 12 names: each is an error from New naming the field,
// with the exact message, instead of a server that serves less.
func TestNewRefusesHalfConfiguredServers(t *testing.T) {
	session := func(*http.Request) (authserver.Session, bool) { return authserver.Session{}, false }
	checkPassword := func(context.Context, string, string) (string, bool, error) { return "", false, nil }
	tests := []struct {
		name   string
		mutate func(*authserver.Config)
		want   string
	}{
		{"a login URL without the session callback", func(c *authserver.Config) { c.Browser.LoginURL = "/login" },
			"authserver: config: Browser.Session: is required with Browser.LoginURL: the authorization endpoint must know who signed in"},
		{"the session callback without a login URL", func(c *authserver.Config) { c.Browser.Session = session },
			"authserver: config: Browser.LoginURL: is required with Browser.Session: users who are not signed in need a login page"},
		{"the password grant without a password check", func(c *authserver.Config) {
			c.Grants = []authserver.GrantType{authserver.GrantPassword}
		}, "authserver: config: CheckPassword: is required when Grants offers password"},
		{"a password check without the password grant", func(c *authserver.Config) { c.CheckPassword = checkPassword },
			"authserver: config: CheckPassword: is set but Grants does not offer password"},
		{"the code grant without the browser side", func(c *authserver.Config) {
			c.Grants = []authserver.GrantType{authserver.GrantAuthorizationCode}
		}, "authserver: config: Grants: authorization_code needs the authorization endpoint: set Browser.Session and Browser.LoginURL"},
		{"the implicit grant without the browser side", func(c *authserver.Config) {
			c.Grants = []authserver.GrantType{authserver.GrantImplicit}
		}, "authserver: config: Grants: implicit needs the authorization endpoint: set Browser.Session and Browser.LoginURL"},
		{"an issuer with a query", func(c *authserver.Config) { c.Issuer = "https://auth.example.com?tenant=1" },
			"authserver: config: Issuer: must not have a query (RFC 8414 §2)"},
		{"an issuer with a fragment", func(c *authserver.Config) { c.Issuer = "https://auth.example.com#x" },
			"authserver: config: Issuer: must not have a fragment (RFC 8414 §2)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := authserver.Config{Issuer: testIssuer, Scopes: testScopes}
			tc.mutate(&cfg)
			srv, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			assert.Nil(t, srv)
			require.Len(t, fieldErrors(err), 1, "%v", err)
			assert.EqualError(t, fieldErrors(err)[0], tc.want)
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
		// The mux reads "%" in a pattern as an escape, the router's map
		// as itself: the two would serve different requests.
		{Token: "/oauth/t%6Fken"},
		{Token: "/oauth/100%"},
	} {
		var err error
		assert.NotPanics(t, func() {
			_, err = authserver.New(authserver.Config{Issuer: testIssuer, Paths: paths}, store.NewMemoryWithCleanup(0))
		}, "%+v", paths)
		assert.Error(t, err, "%+v", paths)
	}
}

func TestNewCollectsEveryError(t *testing.T) {
	_, err := authserver.New(authserver.Config{Issuer: "http://x",
		Lifetimes:       authserver.Lifetimes{AccessToken: -1},
		RefreshRotation: authserver.RefreshRotation{GracePeriod: time.Hour},
	}, store.NewMemoryWithCleanup(0))
	assert.Equal(t, []string{"Issuer", "Lifetimes.AccessToken", "RefreshRotation.GracePeriod"}, fields(err))
}

func TestNewAcceptsValidConfig(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*authserver.Config)
	}{
		{"the minimal config", func(*authserver.Config) {}},
		{"an issuer with a path", func(c *authserver.Config) { c.Issuer = "https://example.com/tenant/a" }},
		{"http on localhost with AllowHTTPIssuer", func(c *authserver.Config) { c.Issuer = "http://localhost:8080"; c.Development.AllowHTTPIssuer = true }},
		{"http on 127.0.0.1 with AllowHTTPIssuer", func(c *authserver.Config) { c.Issuer = "http://127.0.0.1:8080"; c.Development.AllowHTTPIssuer = true }},
		{"http on [::1] with AllowHTTPIssuer", func(c *authserver.Config) { c.Issuer = "http://[::1]:8080"; c.Development.AllowHTTPIssuer = true }},
		{"CodeTTL of exactly ten minutes", func(c *authserver.Config) { c.Lifetimes.Code = 10 * time.Minute }},
		{"a grace period of exactly a minute", func(c *authserver.Config) { c.RefreshRotation.GracePeriod = time.Minute }},
		{"a 32-byte RefreshKey", func(c *authserver.Config) { c.RefreshRotation.Key = make([]byte, 32) }},
		{"no refresh aliases", func(c *authserver.Config) { c.Compat.NoRefreshAliases = true }},
		{"no consent-sso", func(c *authserver.Config) { c.Compat.NoConsentSSO = true }},
		{"a negative FailureLimit", func(c *authserver.Config) { c.Limits.FailureLimit = -1 }},
		{"a negative ConsentTTL (consent is never remembered)", func(c *authserver.Config) {
			c.Browser.Session = func(*http.Request) (authserver.Session, bool) { return authserver.Session{}, false }
			c.Browser.LoginURL = "/login"
			c.Lifetimes.Consent = -1
		}},
		{"default scopes that are scopes", func(c *authserver.Config) { c.DefaultScopes = []string{"basic_info"} }},
		{"an absolute login URL", func(c *authserver.Config) {
			c.Browser.LoginURL = "https://app.example.com/login?next=1"
			c.Browser.Session = func(*http.Request) (authserver.Session, bool) { return authserver.Session{}, false }
		}},
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

// Compat.NoRefreshAliases turns the aliases off.
func TestNoRefreshAliases(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) { c.Compat.NoRefreshAliases = true })
	body := redeem(t, srv, st)
	rec := postForm(t, srv, "/oauth/refresh", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass))
	assert.Equal(t, 404, rec.Code)
}

func TestRegisterClientRejectsInvalid(t *testing.T) {
	ok := func() authserver.Client {
		return authserver.Client{ID: "c", Secret: "0123456789abcdef", RedirectURIs: []string{"https://app.example.com/cb"},
			GrantTypes: grants("authorization_code"), Scopes: []string{"basic_info"}}
	}
	tests := []struct {
		name   string
		mutate func(*authserver.Client)
		field  string
	}{
		{"an empty ID", func(c *authserver.Client) { c.ID = "" }, "ID"},
		{"a relative redirect URI", func(c *authserver.Client) { c.RedirectURIs = []string{"/cb"} }, "RedirectURIs"},
		{"a redirect URI without scheme", func(c *authserver.Client) { c.RedirectURIs = []string{"app.example.com/cb"} }, "RedirectURIs"},
		{"a redirect URI with a fragment", func(c *authserver.Client) { c.RedirectURIs = []string{"https://app.example.com/cb#frag"} }, "RedirectURIs"},
		{"a redirect URI with an empty fragment", func(c *authserver.Client) { c.RedirectURIs = []string{"https://app.example.com/cb#"} }, "RedirectURIs"},
		{"a javascript: redirect URI", func(c *authserver.Client) { c.RedirectURIs = []string{"javascript:alert(1)"} }, "RedirectURIs"},
		{"a JavaScript: redirect URI in mixed case", func(c *authserver.Client) { c.RedirectURIs = []string{"JavaScript:alert(1)"} }, "RedirectURIs"},
		{"a data: redirect URI", func(c *authserver.Client) { c.RedirectURIs = []string{"data:text/html,<script>alert(1)</script>"} }, "RedirectURIs"},
		{"a vbscript: redirect URI", func(c *authserver.Client) { c.RedirectURIs = []string{"vbscript:msgbox(1)"} }, "RedirectURIs"},
		{"an https redirect URI without host", func(c *authserver.Client) { c.RedirectURIs = []string{"https:///cb"} }, "RedirectURIs"},
		{"a bad login URI", func(c *authserver.Client) { c.LoginURIs = []string{"/login"} }, "LoginURIs"},
		{"a secret of 15 characters", func(c *authserver.Client) { c.Secret = "0123456789abcde" }, "Secret"},
		{"a post client without a secret", func(c *authserver.Client) { c.Secret = ""; c.AuthMethod = authserver.AuthMethodPost }, "Secret"},
		{"a public client with a secret", func(c *authserver.Client) { c.AuthMethod = authserver.AuthMethodNone }, "Secret"},
		{"an unknown auth method", func(c *authserver.Client) { c.AuthMethod = "client_secret_jwt" }, "AuthMethod"},
		{"an unknown grant type", func(c *authserver.Client) { c.GrantTypes = grants("authorization_code", "device_code") }, "GrantTypes"},
		{"client_credentials for a public client", func(c *authserver.Client) {
			c.Secret = ""
			c.AuthMethod = authserver.AuthMethodNone
			c.GrantTypes = grants("client_credentials")
		}, "GrantTypes"},
		{"authorization_code without redirect URIs", func(c *authserver.Client) { c.RedirectURIs = nil }, "RedirectURIs"},
		{"implicit without redirect URIs", func(c *authserver.Client) { c.RedirectURIs = nil; c.GrantTypes = grants("implicit") }, "RedirectURIs"},
		{"a scope the server does not know", func(c *authserver.Client) { c.Scopes = []string{"admin"} }, "Scopes"},
		{"an unknown token format", func(c *authserver.Client) { c.AccessTokenFormat = "macaroon" }, "AccessTokenFormat"},
		{"JWT access tokens without signing keys", func(c *authserver.Client) { c.AccessTokenFormat = authserver.TokenFormatJWT }, "AccessTokenFormat"},
		{"a relative resource", func(c *authserver.Client) { c.Resources = []string{"/api"} }, "Resources"},
		{"an unknown application type", func(c *authserver.Client) { c.ApplicationType = "desktop" }, "ApplicationType"},
		{"an unknown response type", func(c *authserver.Client) { c.ResponseTypes = []authserver.ResponseType{"code", "id_token"} }, "ResponseTypes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, st := newTestServer(t, nil)
			c := ok()
			tc.mutate(&c)
			err := srv.RegisterClient(t.Context(), c)
			require.Error(t, err)
			assert.Equal(t, []string{tc.field}, fields(err), "%v", err)
			for _, fe := range fieldErrors(err) {
				assert.Equal(t, c.ID, fe.Client)
			}
			if c.Secret != "" {
				assert.NotContains(t, err.Error(), c.Secret, "errors never echo a secret")
			}
			_, err = st.Client(t.Context(), c.ID)
			assert.ErrorIs(t, err, store.ErrNotFound, "nothing is saved")
		})
	}
}

// The client mistakes issue 12 names, each with its exact error.
func TestRegisterClientRefusesUnsafeClients(t *testing.T) {
	tests := []struct {
		name   string
		client authserver.Client
		want   string
	}{
		{"no secret and no auth method: an unset variable must not make a public client",
			authserver.Client{ID: "web", GrantTypes: grants("client_credentials")},
			`authserver: client "web": Secret: is required for AuthMethod client_secret_basic; a public client says AuthMethod none`},
		{"pkce_optional on a public client",
			authserver.Client{ID: "spa", AuthMethod: authserver.AuthMethodNone, PKCEOptional: true,
				RedirectURIs: []string{"https://spa.example.com/cb"}, GrantTypes: grants("authorization_code")},
			`authserver: client "spa": PKCEOptional: a public client always needs PKCE (RFC 9700 §2.1.1)`},
		{"an http redirect URI on a public host",
			authserver.Client{ID: "web", Secret: "0123456789abcdef", RedirectURIs: []string{"http://app.example.com/cb"},
				GrantTypes: grants("authorization_code")},
			`authserver: client "web": RedirectURIs: "http://app.example.com/cb": http is allowed only on a loopback IP address such as 127.0.0.1 or [::1] (RFC 9700 §2.1, RFC 8252 §8.3); use https`},
		{"response type token without the implicit grant",
			authserver.Client{ID: "web", Secret: "0123456789abcdef", RedirectURIs: []string{"https://app.example.com/cb"},
				GrantTypes: grants("authorization_code"), ResponseTypes: []authserver.ResponseType{"code", "token"}},
			`authserver: client "web": ResponseTypes: token needs grant type implicit (RFC 7591 §2.1)`},
		{"the code grant without response type code",
			authserver.Client{ID: "web", Secret: "0123456789abcdef", RedirectURIs: []string{"https://app.example.com/cb"},
				GrantTypes: grants("authorization_code", "implicit"), ResponseTypes: []authserver.ResponseType{"token"}},
			`authserver: client "web": GrantTypes: authorization_code needs response type code (RFC 7591 §2.1)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, st := newTestServer(t, nil)
			err := srv.RegisterClient(t.Context(), tc.client)
			require.Len(t, fieldErrors(err), 1, "%v", err)
			assert.EqualError(t, fieldErrors(err)[0], tc.want)
			_, err = st.Client(t.Context(), tc.client.ID)
			assert.ErrorIs(t, err, store.ErrNotFound)
		})
	}
}

// Development.AllowHTTPRedirectURIs is the documented switch for http
// redirect URIs on other hosts; loopback http needs no switch.
func TestRegisterClientHTTPRedirectURIs(t *testing.T) {
	c := authserver.Client{ID: "dev", Secret: "0123456789abcdef", GrantTypes: grants("authorization_code"),
		RedirectURIs: []string{"http://dev.example.test:3000/cb"}}
	srv, _ := newTestServer(t, nil)
	assert.Equal(t, []string{"RedirectURIs"}, fields(srv.RegisterClient(t.Context(), c)))
	srv, _ = newTestServer(t, func(cfg *authserver.Config) { cfg.Development.AllowHTTPRedirectURIs = true })
	require.NoError(t, srv.RegisterClient(t.Context(), c))

	srv, _ = newTestServer(t, nil)
	for _, uri := range []string{"http://127.0.0.1:8080/cb", "http://[::1]/cb", "http://127.8.9.10/cb"} {
		c.RedirectURIs = []string{uri}
		assert.NoError(t, srv.RegisterClient(t.Context(), c), uri)
	}
	// RFC 8252 §8.3: "localhost" is a name, not the loopback interface.
	c.RedirectURIs = []string{"http://localhost:3000/cb"}
	assert.EqualError(t, srv.RegisterClient(t.Context(), c), `authserver: client "dev": RedirectURIs: "http://localhost:3000/cb": http is allowed only on a loopback IP address such as 127.0.0.1 or [::1] (RFC 9700 §2.1, RFC 8252 §8.3); use https`)
}

// A client cannot register a grant the server does not offer: it would fail
// at every request with unsupported_grant_type.
func TestRegisterClientRefusesGrantNotOffered(t *testing.T) {
	srv, _ := newTestServer(t, func(cfg *authserver.Config) {
		cfg.Grants = []authserver.GrantType{authserver.GrantAuthorizationCode, authserver.GrantClientCredentials}
		cfg.CheckPassword = nil
	})
	err := srv.RegisterClient(t.Context(), authserver.Client{ID: "app", Secret: "app-secret-0123456789",
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "refresh_token", "password")})
	assert.Equal(t, []string{"GrantTypes", "GrantTypes"}, fields(err))
	assert.EqualError(t, err, `authserver: client "app": GrantTypes: refresh_token is not offered by this server (Config.Grants)`+"\n"+
		`authserver: client "app": GrantTypes: password is not offered by this server (Config.Grants)`)
}

// Registering a client ID again replaces the client (README "Embedding").
func TestRegisterClientReplaces(t *testing.T) {
	srv, st := newTestServer(t, nil)
	c := authserver.Client{ID: "svc", Secret: "0123456789abcdef", Name: "First", GrantTypes: grants("client_credentials")}
	require.NoError(t, srv.RegisterClient(t.Context(), c))
	c.Name, c.Secret = "Second", "fedcba9876543210"
	require.NoError(t, srv.RegisterClient(t.Context(), c))
	rec, err := st.Client(t.Context(), "svc")
	require.NoError(t, err)
	assert.Equal(t, "Second", rec.Name)
	assert.Equal(t, hashOf("fedcba9876543210"), rec.SecretHash)
}

func TestRegisterClientStoresHashedSecret(t *testing.T) {
	srv, st := newTestServer(t, nil)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{
		ID: "native", AuthMethod: authserver.AuthMethodNone, ApplicationType: authserver.ApplicationNative,
		RedirectURIs: []string{"com.example.app:/oauth2redirect", "http://127.0.0.1:7777/cb"},
		GrantTypes:   grants("authorization_code", "refresh_token"),
	}))
	rec, err := st.Client(t.Context(), "native")
	require.NoError(t, err)
	assert.True(t, rec.Public())
	assert.Equal(t, string(authserver.AuthMethodNone), rec.AuthMethod)
	assert.Equal(t, "native", rec.ApplicationType)
	assert.Equal(t, []string{"code"}, rec.ResponseTypes, "response types follow from the grant types")

	sv, err := st.Client(t.Context(), serviceID)
	require.NoError(t, err)
	assert.Equal(t, hashOf(servicePass), sv.SecretHash)
	assert.NotContains(t, sv.SecretHash, servicePass)
	assert.Equal(t, string(authserver.AuthMethodBasic), sv.AuthMethod)
	assert.Equal(t, "web", sv.ApplicationType)
	assert.Nil(t, sv.ResponseTypes)
}
