package authserver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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

// postReq builds a POST request with a raw body.
func postReq(t *testing.T, path, body, contentType, authz string) *http.Request {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	req.RemoteAddr = "192.0.2.1:1234"
	return req
}

// serve runs req through h.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// postFormFrom is postForm from a chosen source address.
func postFormFrom(t *testing.T, h http.Handler, path string, form url.Values, authz, remoteAddr string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	req.RemoteAddr = remoteAddr
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func passwordForm(username, password string) url.Values {
	return url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}
}

// assertThrottled checks a 429 answer with a Retry-After of at most window
// seconds.
func assertThrottled(t *testing.T, rec *httptest.ResponseRecorder, window int) {
	t.Helper()
	assertOAuthError(t, rec, http.StatusTooManyRequests, "temporarily_unavailable")
	secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", rec.Header().Get("Retry-After"))
	assert.GreaterOrEqual(t, secs, 1)
	assert.LessOrEqual(t, secs, window)
}

func withScope(form url.Values, scope string) url.Values {
	form.Set("scope", scope)
	return form
}

// withPost adds the post-app's client_secret_post credentials to form.
func withPost(form url.Values) url.Values {
	form.Set("client_id", postID)
	form.Set("client_secret", postPass)
	return form
}

func ccForm() url.Values { return url.Values{"grant_type": {"client_credentials"}} }

func withValue(form url.Values, key, value string) url.Values {
	form.Set(key, value)
	return form
}

// codeForm is the form of an authorization_code token request.
func codeForm(code, verifier string) url.Values {
	v := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}}
	if verifier != "" {
		v.Set("code_verifier", verifier)
	}
	return v
}

// refreshForm is the form of a refresh_token request.
func refreshForm(token string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}
}

// assertNoStore checks the caching headers every token endpoint response
// carries (RFC 6749 §5.1, §5.2).
func assertNoStore(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), "Cache-Control")
	assert.Equal(t, "no-cache", rec.Header().Get("Pragma"), "Pragma")
}

// assertOAuthError checks a JSON error response (RFC 6749 §5.2) and returns
// its decoded body.
func assertOAuthError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) map[string]any {
	t.Helper()
	require.Equal(t, status, rec.Code, "body: %s", rec.Body.String())
	assert.Equal(t, "application/json;charset=UTF-8", rec.Header().Get("Content-Type"))
	assertNoStore(t, rec)
	body := decodeJSON(t, rec)
	assert.Equal(t, code, body["error"], "body: %s", rec.Body.String())
	return body
}

// tokenOK requires a successful token response and returns its body.
func tokenOK(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, rec.Code, "body: %s", rec.Body.String())
	assert.Equal(t, "application/json;charset=UTF-8", rec.Header().Get("Content-Type"))
	assertNoStore(t, rec)
	body := decodeJSON(t, rec)
	assert.Equal(t, "Bearer", body["token_type"])
	require.IsType(t, "", body["access_token"])
	return body
}

// str returns body[key] as a string, or "" when absent.
func str(body map[string]any, key string) string {
	s, _ := body[key].(string)
	return s
}

// assertActive checks whether an access token verifies.
func assertActive(t *testing.T, srv *authserver.Server, token string, want bool) {
	t.Helper()
	_, err := srv.VerifyAccessToken(t.Context(), token)
	if want {
		assert.NoError(t, err, "access token should verify")
	} else {
		assert.Error(t, err, "access token should not verify")
	}
}

// eventLog collects the events a server emits; safe for concurrent use.
type eventLog struct {
	mu     sync.Mutex
	events []authserver.Event
}

func (l *eventLog) record(_ context.Context, e authserver.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) kinds() []authserver.EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []authserver.EventKind
	for _, e := range l.events {
		out = append(out, e.Kind)
	}
	return out
}

func (l *eventLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = nil
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a handler.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*syncBuffer)(nil)

func revokeForm(token, hint string) url.Values {
	v := url.Values{"token": {token}}
	if hint != "" {
		v.Set("token_type_hint", hint)
	}
	return v
}

// assertRevokeOK checks RFC 7009 §2.2's answer: 200 with an empty body.
func assertRevokeOK(t *testing.T, rec interface {
	Result() *http.Response
}) {
	t.Helper()
	res := rec.Result()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	n, _ := res.Body.Read(make([]byte, 1))
	assert.Zero(t, n, "the body is empty")
}

func introspectForm(token string) url.Values { return url.Values{"token": {token}} }

// assertErrorPage checks that the consent endpoint answered with the
// built-in HTML error page, with exactly status, code and description.
func assertErrorPage(t *testing.T, resp *http.Response, page string, status int, code authserver.ErrorCode, description string) {
	t.Helper()
	assert.Equal(t, status, resp.StatusCode, page)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assertPageHeaders(t, resp.Header)
	assert.Empty(t, resp.Header.Get("Location"))
	assert.Contains(t, page, `<p id="error-code">`+string(code)+`</p>`)
	assert.Contains(t, page, `<p id="error-description">`+description+`</p>`)
}

// debugLogger returns a logger writing text records at debug level to buf.
func debugLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// tokenRequest is a POST of body to the token endpoint, with authz as the
// Authorization header when it is not empty, for benchmarks (which have no
// test context) and tests alike.
func tokenRequest(body, authz string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	req.RemoteAddr = "192.0.2.1:1234"
	return req
}
