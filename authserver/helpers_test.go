package authserver_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// Test fixtures shared by the package's tests.
const (
	testIssuer       = "https://auth.example.com"
	confidentialID   = "confidential-app"
	confidentialPass = "s3cret-s3cret-s3cret"
	postID           = "post-app"
	postPass         = "p0st-s3cret-p0st-s3cret"
	publicID         = "public-app"
	serviceID        = "service"
	servicePass      = "service-secret-0123456789"
	testRedirect     = "https://app.example.com/callback"
	testVerifier     = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	testChallenge    = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

// testScopes is the NU.ID scope set.
var testScopes = []authserver.Scope{
	{Name: "basic_info", Description: "Read your name and email"},
	{Name: "phone", Description: "Read your phone number"},
	{Name: "keys_op", Description: "Add and remove your key pairs"},
	{Name: "update_basic_info", Description: "Change your name and photo"},
}

// testConfig is the standard test configuration: the browser side through a
// "user" cookie, every grant, the password grant for alice.
func testConfig() authserver.Config {
	return authserver.Config{
		Issuer: testIssuer,
		Scopes: testScopes,
		CheckPassword: func(_ context.Context, username, password string) (string, bool, error) {
			if username == "alice" && password == "wonderland" {
				return "user-alice", true, nil
			}
			return "", false, nil
		},
		Grants: []authserver.GrantType{authserver.GrantAuthorizationCode, authserver.GrantRefreshToken,
			authserver.GrantClientCredentials, authserver.GrantPassword, authserver.GrantImplicit},
		Browser: authserver.Browser{
			Session: func(r *http.Request) (authserver.Session, bool) {
				c, err := r.Cookie("user")
				if err != nil {
					return authserver.Session{}, false
				}
				return authserver.Session{Subject: c.Value, AuthTime: testAuthTime}, true
			},
			LoginURL: "/login",
		},
	}
}

// newTestServer returns a server on a fresh memory store with the standard
// test clients registered. mutate, if not nil, adjusts the config first.
func newTestServer(t *testing.T, mutate func(*authserver.Config)) (*authserver.Server, *store.Memory) {
	t.Helper()
	st := store.NewMemoryWithCleanup(0)
	cfg := testConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := authserver.New(cfg, st)
	require.NoError(t, err)
	all := []string{"basic_info", "phone", "keys_op", "update_basic_info"}
	for _, c := range []authserver.Client{
		{ID: confidentialID, Secret: confidentialPass, Name: "Confidential App", RedirectURIs: []string{testRedirect},
			GrantTypes: grants("authorization_code", "refresh_token", "password"), Scopes: all},
		{ID: postID, Secret: postPass, Name: "Post App", AuthMethod: authserver.AuthMethodPost, RedirectURIs: []string{testRedirect},
			GrantTypes: grants("authorization_code", "refresh_token"), Scopes: all},
		{ID: publicID, Name: "Public App", AuthMethod: authserver.AuthMethodNone, ApplicationType: authserver.ApplicationNative,
			RedirectURIs: []string{testRedirect, "http://127.0.0.1/cb"},
			GrantTypes:   grants("authorization_code", "refresh_token", "implicit"), Scopes: all},
		{ID: serviceID, Secret: servicePass, Name: "Service", GrantTypes: grants("client_credentials"), Scopes: []string{"basic_info", "keys_op"}},
	} {
		c.GrantTypes = slices.DeleteFunc(c.GrantTypes, func(g authserver.GrantType) bool { return !offered(cfg, g) })
		if len(c.GrantTypes) == 0 {
			continue
		}
		require.NoError(t, srv.RegisterClient(t.Context(), c))
	}
	return srv, st
}

// offered reports whether a server built from cfg offers grant g, so that
// the fixtures register only grants the server accepts.
func offered(cfg authserver.Config, g authserver.GrantType) bool {
	if cfg.Grants != nil {
		return slices.Contains(cfg.Grants, g)
	}
	switch g {
	case authserver.GrantClientCredentials:
		return true
	case authserver.GrantAuthorizationCode, authserver.GrantRefreshToken:
		return cfg.Browser.Session != nil
	}
	return false
}

// signedIn is a Browser.Session callback for which subject is always signed
// in.
func signedIn(subject string) func(*http.Request) (authserver.Session, bool) {
	return func(*http.Request) (authserver.Session, bool) {
		return authserver.Session{Subject: subject, AuthTime: testAuthTime}, true
	}
}

// testAuthTime is when the test users signed in.
var testAuthTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// grants converts grant type names for Client.GrantTypes.
func grants(names ...string) []authserver.GrantType {
	out := make([]authserver.GrantType, len(names))
	for i, n := range names {
		out[i] = authserver.GrantType(n)
	}
	return out
}

// hashOf is the hash under which the server stores a token, code or client
// secret (SHA-256, unpadded base64url), for tests that write store records
// themselves.
func hashOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// basic returns an Authorization header value for HTTP Basic client
// authentication with RFC 6749 §2.3.1 form-encoding.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// postForm sends a form POST to h and returns the recorded response.
func postForm(t *testing.T, h http.Handler, path string, form url.Values, authz string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	req.RemoteAddr = "192.0.2.1:1234"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decodeJSON decodes a JSON object response body.
func decodeJSON(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m), "body: %s", rec.Body.String())
	return m
}
