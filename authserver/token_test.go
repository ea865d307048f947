package authserver_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// codeSpec describes an authorization code that a test issues straight into
// the store, as the authorization endpoint would.
type codeSpec struct {
	clientID    string
	redirectURI string
	challenge   string
	method      string
	subject     string
	scopes      []string
}

// issueCode saves a grant and an authorization code described by c, as the
// authorization endpoint would on approval, and returns the code string,
// which names its grant (kac_<grant ID>.<randomness>).
func issueCode(t *testing.T, st store.Store, c codeSpec) string {
	t.Helper()
	if c.subject == "" {
		c.subject = "user-alice"
	}
	if c.challenge != "" && c.method == "" {
		c.method = "S256"
	}
	now := time.Now()
	grantID := newGrantID()
	require.NoError(t, st.SaveGrant(t.Context(), store.Grant{
		ID:        grantID,
		ClientID:  c.clientID,
		Subject:   c.subject,
		Scopes:    c.scopes,
		AuthTime:  now,
		CreatedAt: now,
		ExpiresAt: now.Add(30 * 24 * time.Hour),
	}))
	code := grantToken("kac_", grantID)
	require.NoError(t, st.SaveCode(t.Context(), store.AuthCode{
		Hash:                hashOf(code),
		GrantID:             grantID,
		ClientID:            c.clientID,
		RedirectURI:         c.redirectURI,
		CodeChallenge:       c.challenge,
		CodeChallengeMethod: c.method,
		IssuedAt:            now,
		ExpiresAt:           now.Add(time.Minute),
	}))
	return code
}

// newGrantID returns a grant ID of the shape the server gives them: 16
// random bytes, base64url-encoded.
func newGrantID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// grantToken returns a well-formed code or token string of the given kind
// prefix for grantID that the server never issued.
func grantToken(prefix, grantID string) string {
	return prefix + grantID + "." + randomString()
}

// s256 returns the S256 code_challenge of verifier (RFC 7636 §4.2).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// randomString returns 32 random bytes, base64url-encoded.
func randomString() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// redeem exchanges a fresh code of the confidential client and returns the
// token response body.
func redeem(t *testing.T, srv *authserver.Server, st store.Store, scopes ...string) map[string]any {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"basic_info", "phone"}
	}
	code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier), scopes: scopes})
	return tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass)))
}

func TestTokenGrantTypeDispatch(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*authserver.Config)
		form   url.Values
		authz  string
		status int
		code   string
	}{
		{"a request without grant_type is invalid_request", nil,
			url.Values{"scope": {"basic_info"}}, basic(serviceID, servicePass), 400, "invalid_request"},
		{"an unknown grant type is unsupported_grant_type", nil,
			url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}}, basic(serviceID, servicePass), 400, "unsupported_grant_type"},
		{"the implicit pseudo grant is not a grant_type", nil,
			url.Values{"grant_type": {"implicit"}}, basic(confidentialID, confidentialPass), 400, "unsupported_grant_type"},
		{"password without CheckPassword is unsupported_grant_type",
			func(c *authserver.Config) {
				c.CheckPassword = nil
				c.Grants = []authserver.GrantType{authserver.GrantAuthorizationCode, authserver.GrantRefreshToken, authserver.GrantClientCredentials}
			},
			url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"wonderland"}}, basic(confidentialID, confidentialPass), 400, "unsupported_grant_type"},
		{"a grant the client did not register is unauthorized_client", nil,
			url.Values{"grant_type": {"client_credentials"}}, basic(confidentialID, confidentialPass), 400, "unauthorized_client"},
		{"a malformed scope is invalid_scope", nil,
			url.Values{"grant_type": {"client_credentials"}, "scope": {"basic_info  keys_op"}}, basic(serviceID, servicePass), 400, "invalid_scope"},
		{"the grant type is checked before the client", nil,
			url.Values{"grant_type": {"nope"}}, basic(serviceID, "wrong-wrong-wrong-wrong"), 400, "unsupported_grant_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newTestServer(t, tc.mutate)
			rec := postForm(t, srv, "/oauth/token", tc.form, tc.authz)
			assertOAuthError(t, rec, tc.status, tc.code)
		})
	}
}

func TestRefreshAliases(t *testing.T) {
	for _, path := range []string{"/oauth/refresh", "/oauth/refreshAccessToken"} {
		t.Run(path, func(t *testing.T) {
			srv, st := newTestServer(t, nil)
			first := redeem(t, srv, st)

			rec := postForm(t, srv, path, refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass))
			body := tokenOK(t, rec)
			assert.NotEqual(t, str(first, "refresh_token"), str(body, "refresh_token"))
			assertActive(t, srv, str(body, "access_token"), true)

			for _, form := range []url.Values{
				{"grant_type": {"client_credentials"}},
				{"grant_type": {"authorization_code"}, "code": {"kac_x"}},
				{"grant_type": {"password"}, "username": {"alice"}, "password": {"wonderland"}},
			} {
				rec := postForm(t, srv, path, form, basic(serviceID, servicePass))
				assertOAuthError(t, rec, 400, "unsupported_grant_type")
			}
			// No grant_type at all is never read as a code exchange here.
			srv2, _ := newTestServer(t, func(c *authserver.Config) { c.Compat.AcceptMissingGrantType = true })
			rec = postForm(t, srv2, path, url.Values{"code": {"kac_x"}, "client_id": {postID}, "client_secret": {postPass}}, "")
			assertOAuthError(t, rec, 400, "invalid_request")
		})
	}
}

func TestCustomPathsAndStripPrefix(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Paths = authserver.Paths{Token: "/v2/token", Revoke: "/v2/revoke", Introspect: "/v2/introspect"}
		c.Compat.RefreshAliases = []string{"/v2/refresh"}
	})
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", srv))

	rec := postForm(t, mux, "/api/v2/token", url.Values{"grant_type": {"client_credentials"}}, basic(serviceID, servicePass))
	body := tokenOK(t, rec)
	assertActive(t, srv, str(body, "access_token"), true)

	for _, old := range []string{"/api/oauth/token", "/api/oauth/refresh", "/api/oauth/refreshAccessToken", "/v2/token"} {
		rec := postForm(t, mux, old, url.Values{"grant_type": {"client_credentials"}}, basic(serviceID, servicePass))
		assert.Equal(t, http.StatusNotFound, rec.Code, old)
	}

	code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier), scopes: []string{"basic_info"}})
	first := tokenOK(t, postForm(t, mux, "/api/v2/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass)))
	second := tokenOK(t, postForm(t, mux, "/api/v2/refresh", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))

	rec = postForm(t, mux, "/api/v2/introspect", url.Values{"token": {str(second, "access_token")}}, basic(confidentialID, confidentialPass))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, true, decodeJSON(t, rec)["active"])

	rec = postForm(t, mux, "/api/v2/revoke", url.Values{"token": {str(second, "refresh_token")}}, basic(confidentialID, confidentialPass))
	assert.Equal(t, http.StatusOK, rec.Code)
	assertActive(t, srv, str(second, "access_token"), false)
}

func TestExtendedTokenResponse(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Compat.ExtendedTokenResponse = true
		c.Lifetimes.AccessToken = 30 * time.Minute
		c.Lifetimes.RefreshToken = 8 * time.Hour
	})
	before := time.Now().UnixMilli()
	code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier), scopes: []string{"basic_info"}})
	form := codeForm(code, testVerifier)
	form.Set("state", "xyz-state")
	body := tokenOK(t, postForm(t, srv, "/oauth/token", form, basic(confidentialID, confidentialPass)))
	after := time.Now().UnixMilli()

	for _, k := range []string{"issued_at", "refresh_token_issued_at", "refresh_token_expires_in", "refresh_count", "client_id", "application_name", "status", "refresh_token_status", "state"} {
		assert.IsType(t, "", body[k], "%s must be a JSON string", k)
	}
	issued := parseMillis(t, str(body, "issued_at"))
	assert.GreaterOrEqual(t, issued, before)
	assert.LessOrEqual(t, issued, after)
	assert.Equal(t, str(body, "issued_at"), str(body, "refresh_token_issued_at"))
	assert.EqualValues(t, 1800, body["expires_in"])
	assert.Equal(t, "28800", str(body, "refresh_token_expires_in"))
	assert.Equal(t, "0", str(body, "refresh_count"))
	assert.Equal(t, confidentialID, str(body, "client_id"))
	assert.Equal(t, "Confidential App", str(body, "application_name"))
	assert.Equal(t, "approved", str(body, "status"))
	assert.Equal(t, "approved", str(body, "refresh_token_status"))
	assert.Equal(t, "xyz-state", str(body, "state"))

	rec := postForm(t, srv, "/oauth/refresh", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass))
	body2 := tokenOK(t, rec)
	assert.Equal(t, "1", str(body2, "refresh_count"))
	assert.NotContains(t, body2, "state", "no state was sent")
	assert.Equal(t, "basic_info", str(body2, "scope"))

	rec = postForm(t, srv, "/oauth/refresh", refreshForm(str(body2, "refresh_token")), basic(confidentialID, confidentialPass))
	assert.Equal(t, "2", str(tokenOK(t, rec), "refresh_count"))

	// client_credentials has no refresh token, so none of its fields.
	cc := tokenOK(t, postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, basic(serviceID, servicePass)))
	assert.Equal(t, "Service", str(cc, "application_name"))
	assert.Equal(t, "approved", str(cc, "status"))
	for _, k := range []string{"refresh_token", "refresh_token_issued_at", "refresh_token_expires_in", "refresh_count", "refresh_token_status"} {
		assert.NotContains(t, cc, k)
	}
}

func TestPlainTokenResponseHasNoExtendedFields(t *testing.T) {
	srv, st := newTestServer(t, nil)
	body := redeem(t, srv, st, "basic_info")
	// The code request named no scope at the token endpoint, so the granted
	// scope is reported (RFC 6749 §5.1).
	want := []string{"access_token", "expires_in", "refresh_token", "scope", "token_type"}
	var got []string
	for k := range body {
		got = append(got, k)
	}
	assert.ElementsMatch(t, want, got)
}

func parseMillis(t *testing.T, s string) int64 {
	t.Helper()
	var n json.Number = json.Number(s)
	v, err := n.Int64()
	require.NoError(t, err, "%q is not an integer", s)
	return v
}

func TestTokenResponseHook(t *testing.T) {
	var seen []authserver.IssuedToken
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Hooks.TokenResponse = func(_ context.Context, it authserver.IssuedToken) map[string]any {
			seen = append(seen, it)
			return map[string]any{
				"tenant":        "acme",
				"grant":         it.GrantType,
				"access_token":  "forged",
				"token_type":    "MAC",
				"expires_in":    1,
				"refresh_token": "forged",
				"scope":         "everything",
				"error":         "nope",
			}
		}
	})
	body := redeem(t, srv, st, "basic_info")
	assert.Equal(t, "acme", body["tenant"])
	assert.Equal(t, "authorization_code", body["grant"])
	assert.NotEqual(t, "forged", body["access_token"])
	assert.NotEqual(t, "forged", body["refresh_token"])
	assert.Equal(t, "Bearer", body["token_type"])
	assert.EqualValues(t, 1800, body["expires_in"])
	assert.Equal(t, "basic_info", body["scope"])
	assert.NotContains(t, body, "error")
	assertActive(t, srv, str(body, "access_token"), true)

	require.Len(t, seen, 1)
	assert.Empty(t, seen[0].AccessToken, "the hook must not see the token")
	assert.Empty(t, seen[0].RefreshToken, "the hook must not see the token")
	assert.Equal(t, confidentialID, seen[0].ClientID)
	assert.Equal(t, "user-alice", seen[0].Subject)
}

// TestTokenResponseHookCaseFolding: Go's encoding/json (and so
// golang.org/x/oauth2) matches object keys to struct fields without regard
// to case, and the last duplicate wins, so a hook field "Access_Token"
// replaces the access token for such clients.
func TestTokenResponseHookCaseFolding(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Hooks.TokenResponse = func(context.Context, authserver.IssuedToken) map[string]any {
			return map[string]any{"Access_Token": "forged", "TOKEN_TYPE": "MAC"}
		}
	})
	rec := postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, basic(serviceID, servicePass))
	require.Equal(t, http.StatusOK, rec.Code)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &tok))
	assert.NotEqual(t, "forged", tok.AccessToken)
	assert.Equal(t, "Bearer", tok.TokenType)
}

func TestEvents(t *testing.T) {
	var log eventLog
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Hooks.Events = log.record
		c.Limits.FailureLimit = 1
	})

	first := redeem(t, srv, st, "basic_info")
	assert.Equal(t, []authserver.EventKind{authserver.EventTokenIssued}, log.kinds())
	issued := log.events[0]
	assert.Equal(t, confidentialID, issued.ClientID)
	assert.Equal(t, "user-alice", issued.Subject)
	assert.Equal(t, authserver.GrantAuthorizationCode, issued.GrantType)
	assert.Equal(t, []string{"basic_info"}, issued.Scopes)
	assert.NotEmpty(t, issued.GrantID)

	log.reset()
	tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))
	assert.Equal(t, []authserver.EventKind{authserver.EventRefreshRotated, authserver.EventTokenIssued}, log.kinds())

	log.reset()
	rec := postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")
	assert.Equal(t, []authserver.EventKind{authserver.EventReuseDetected, authserver.EventGrantRevoked}, log.kinds())
	assert.Equal(t, issued.GrantID, log.events[0].GrantID)

	log.reset()
	rec = postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, basic(serviceID, "wrong-secret-wrong-secret"))
	assertOAuthError(t, rec, 401, "invalid_client")
	assert.Equal(t, []authserver.EventKind{authserver.EventClientAuthFailed}, log.kinds())
	assert.Equal(t, serviceID, log.events[0].ClientID)

	log.reset()
	rec = postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, basic(serviceID, servicePass))
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, []authserver.EventKind{authserver.EventThrottled}, log.kinds())

	log.reset()
	second := redeem(t, srv, st, "basic_info")
	log.reset()
	rec = postForm(t, srv, "/oauth/revoke", url.Values{"token": {str(second, "refresh_token")}}, basic(confidentialID, confidentialPass))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, []authserver.EventKind{authserver.EventGrantRevoked}, log.kinds())

	third := redeem(t, srv, st, "basic_info")
	log.reset()
	rec = postForm(t, srv, "/oauth/revoke", url.Values{"token": {str(third, "access_token")}}, basic(confidentialID, confidentialPass))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, []authserver.EventKind{authserver.EventTokenRevoked}, log.kinds())

	log.reset()
	rec = postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"nope"}}, basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")
	assert.Equal(t, []authserver.EventKind{authserver.EventPasswordFailed}, log.kinds())

	for _, e := range log.events {
		assert.NotEmpty(t, e.Kind.String())
		assert.NotEqual(t, "unknown", e.Kind.String())
	}
}

// TestLogsNeverContainSecrets runs every token-side flow with a debug-level
// JSON logger and checks that no token, code, secret or password reaches the
// log.
func TestLogsNeverContainSecrets(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Logger = logger
		c.Limits.FailureLimit = 2
		c.RefreshRotation.GracePeriod = 30 * time.Second
	})
	secrets := []string{confidentialPass, postPass, servicePass, "wonderland", "wrong-password", "wrong-secret-0123456789", testVerifier}

	// Code exchange, refresh, grace retry, reuse.
	code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier), scopes: []string{"basic_info"}})
	secrets = append(secrets, code)
	first := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass)))
	secrets = append(secrets, str(first, "access_token"), str(first, "refresh_token"))
	// Code replay.
	postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass))
	// A wrong verifier on a new code.
	code2 := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)})
	secrets = append(secrets, code2)
	postForm(t, srv, "/oauth/token", codeForm(code2, strings.Repeat("a", 43)), basic(confidentialID, confidentialPass))

	f2 := redeem(t, srv, st)
	secrets = append(secrets, str(f2, "access_token"), str(f2, "refresh_token"))
	r1 := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(f2, "refresh_token")), basic(confidentialID, confidentialPass)))
	secrets = append(secrets, str(r1, "access_token"), str(r1, "refresh_token"))
	r2 := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(f2, "refresh_token")), basic(confidentialID, confidentialPass)))
	secrets = append(secrets, str(r2, "access_token"))
	r3 := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(r1, "refresh_token")), basic(confidentialID, confidentialPass)))
	secrets = append(secrets, str(r3, "access_token"), str(r3, "refresh_token"))
	postForm(t, srv, "/oauth/token", refreshForm(str(f2, "refresh_token")), basic(confidentialID, confidentialPass))
	postForm(t, srv, "/oauth/token", refreshForm("krt_unknown-refresh-token-value"), basic(confidentialID, confidentialPass))
	secrets = append(secrets, "krt_unknown-refresh-token-value")

	// Password grant: right, wrong, throttled.
	pw := tokenOK(t, postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"wonderland"}}, basic(confidentialID, confidentialPass)))
	secrets = append(secrets, str(pw, "access_token"), str(pw, "refresh_token"))
	for range 3 {
		postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"wrong-password"}}, basic(confidentialID, confidentialPass))
	}

	// Client authentication failures, a throttled client, two methods at once.
	for range 3 {
		postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, basic(serviceID, "wrong-secret-0123456789"))
	}
	postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_secret": {postPass}}, basic(postID, postPass))
	postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"ghost"}, "client_secret": {"wrong-secret-0123456789"}}, "")

	// A client using a grant it did not register.
	postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {postID}, "client_secret": {postPass}}, "")

	// Introspection and revocation.
	postForm(t, srv, "/oauth/introspect", url.Values{"token": {str(pw, "access_token")}}, basic(confidentialID, confidentialPass))
	postForm(t, srv, "/oauth/introspect", url.Values{"token": {str(pw, "refresh_token")}}, basic(postID, "wrong-secret-0123456789"))
	postForm(t, srv, "/oauth/revoke", url.Values{"token": {str(pw, "refresh_token")}}, basic(confidentialID, confidentialPass))
	postForm(t, srv, "/oauth/revoke", url.Values{"token": {str(pw, "access_token")}}, basic(confidentialID, confidentialPass))

	logs := buf.String()
	require.NotEmpty(t, logs, "the debug logger should have recorded the failures")
	for _, s := range secrets {
		require.NotEmpty(t, s)
		assert.NotContains(t, logs, s)
	}
	// The hashes of tokens are stored, but have no business in logs either.
	for _, s := range secrets {
		assert.NotContains(t, logs, hashOf(s))
	}
}
