package middleware

import (
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequireScope(t *testing.T) {
	t.Parallel()
	granted := &TokenInfo{Subject: "alice", Scopes: []string{"read", "write"}}
	cases := []struct {
		name      string
		anyOf     bool
		scopes    []string
		info      *TokenInfo // nil: no Authenticate in front
		status    int
		challenge string
		body      string
	}{
		{name: "all required scopes granted", scopes: []string{"read", "write"}, info: granted, status: 200, body: "hello alice"},
		{name: "no scopes required", info: granted, status: 200, body: "hello alice"},
		{name: "one required scope missing", scopes: []string{"read", "admin"}, info: granted, status: 403, challenge: `Bearer error="insufficient_scope", scope="read admin"`, body: "insufficient_scope\n"},
		{name: "scopes compare case-sensitively", scopes: []string{"READ"}, info: granted, status: 403, challenge: `Bearer error="insufficient_scope", scope="READ"`, body: "insufficient_scope\n"},
		{name: "a token without scopes", scopes: []string{"read"}, info: &TokenInfo{Subject: "alice"}, status: 403, challenge: `Bearer error="insufficient_scope", scope="read"`, body: "insufficient_scope\n"},
		{name: "without Authenticate the answer is 401", scopes: []string{"read"}, status: 401, challenge: `Bearer`, body: "Unauthorized\n"},
		{name: "without Authenticate even no scopes is 401", status: 401, challenge: `Bearer`, body: "Unauthorized\n"},
		{name: "any scope: one of them granted", anyOf: true, scopes: []string{"admin", "write"}, info: granted, status: 200, body: "hello alice"},
		{name: "any scope: none granted", anyOf: true, scopes: []string{"admin", "root"}, info: granted, status: 403, challenge: `Bearer error="insufficient_scope", scope="admin root"`, body: "insufficient_scope\n"},
		{name: "any scope without Authenticate is 401", anyOf: true, scopes: []string{"read"}, status: 401, challenge: `Bearer`, body: "Unauthorized\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mw := mustScope(t, tc.anyOf, tc.scopes...)
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			if tc.info != nil {
				req = req.WithContext(ContextWithTokenInfo(req.Context(), *tc.info))
			}
			rec := httptest.NewRecorder()
			mw(okHandler).ServeHTTP(rec, req)
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
			assert.Equal(t, tc.body, rec.Body.String())
			if tc.status != http.StatusOK {
				assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			}
		})
	}
}

func TestRequireScopeRejectsBadConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		anyOf  bool
		scopes []string
		err    string
	}{
		{"a scope with a space", false, []string{"read", "two words"}, `middleware: RequireScope: invalid scope "two words"`},
		{"an empty scope", false, []string{""}, `middleware: RequireScope: invalid scope ""`},
		{"a scope with a quote", false, []string{`a"b`}, `middleware: RequireScope: invalid scope "a\"b"`},
		{"a non-ASCII scope", false, []string{"lecture", "écriture"}, `middleware: RequireScope: invalid scope "écriture"`},
		{"any of no scopes", true, nil, "middleware: RequireAnyScope needs at least one scope"},
		{"any scope with a backslash", true, []string{`back\slash`}, `middleware: RequireAnyScope: invalid scope "back\\slash"`},
		{"any scope with a control character", true, []string{"read", "a\x7f"}, `middleware: RequireAnyScope: invalid scope "a\x7f"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			build := RequireScope
			if tc.anyOf {
				build = RequireAnyScope
			}
			mw, err := build(tc.scopes...)
			assert.EqualError(t, err, tc.err)
			assert.Nil(t, mw)
		})
	}
}

// TestRequireScopeAnswersWithAuthenticateOptions: the 403 of a scope check
// uses the realm, error handler and logger of the Authenticate in front of
// it; a TokenInfo set by ContextWithTokenInfo further in gets the defaults.
func TestRequireScopeAnswersWithAuthenticateOptions(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	auth, err := Authenticate(stubVerifier(nil), Options{
		Realm:  "api",
		Logger: logger,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, e *Error) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(e.Status)
			_, _ = fmt.Fprintf(w, `{"error":%q,"scope":%q}`, e.Code, strings.Join(e.Scope, " "))
		},
	})
	require.NoError(t, err)
	admin := mustScope(t, false, "admin")
	anyAdmin := mustScope(t, true, "admin", "root")
	send := func(h http.Handler) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer good-token")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	rec := send(auth(admin(okHandler)))
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Equal(t, `Bearer realm="api", error="insufficient_scope", scope="admin"`, rec.Header().Get("WWW-Authenticate"))
	assert.Equal(t, `{"error":"insufficient_scope","scope":"admin"}`, rec.Body.String())
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))

	rec = send(auth(anyAdmin(okHandler)))
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Equal(t, `Bearer realm="api", error="insufficient_scope", scope="admin root"`, rec.Header().Get("WWW-Authenticate"))
	assert.Equal(t, `{"error":"insufficient_scope","scope":"admin root"}`, rec.Body.String())

	// A handler in between that replaces the TokenInfo its own way.
	replace := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(ContextWithTokenInfo(r.Context(), TokenInfo{Subject: "bob"})))
		})
	}
	rec = send(auth(replace(admin(okHandler))))
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Equal(t, `Bearer error="insufficient_scope", scope="admin"`, rec.Header().Get("WWW-Authenticate"))
	assert.Equal(t, "insufficient_scope\n", rec.Body.String())

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 2, strings.Count(buf.String(), `level=DEBUG msg="middleware: request refused" status=403 error=insufficient_scope`), buf.String())
	assert.NotContains(t, buf.String(), "good-token")
}

// TestRequireScopeWithoutAuthenticateWarns checks the warning on
// slog.Default, the only logger there is without an Authenticate. It
// replaces the process-wide default logger, so it must not run in parallel.
func TestRequireScopeWithoutAuthenticateWarns(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	old, oldOut, oldFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, nil)))
	t.Cleanup(func() {
		slog.SetDefault(old)
		log.SetOutput(oldOut)
		log.SetFlags(oldFlags)
	})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer good-token")
	rec := httptest.NewRecorder()
	mustScope(t, true, "read")(okHandler).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, "Bearer", rec.Header().Get("WWW-Authenticate"))
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, buf.String(), `level=WARN msg="middleware: RequireAnyScope reached without a TokenInfo; is Authenticate missing in front of it?"`)
	assert.NotContains(t, buf.String(), "good-token")
}

func TestRequireScopeCopiesItsArguments(t *testing.T) {
	t.Parallel()
	scopes := []string{"read"}
	mw := mustScope(t, false, scopes...)
	scopes[0] = "write"
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req = req.WithContext(ContextWithTokenInfo(req.Context(), TokenInfo{Subject: "bob", Scopes: []string{"read"}}))
	rec := httptest.NewRecorder()
	mw(okHandler).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
}

// TestChallengeQuoting: the realm is a quoted-string (RFC 9110 §5.6.4),
// with its quotes and backslashes escaped and control characters dropped;
// the error_description holds only the characters RFC 6750 §3 allows it,
// so quotes, backslashes and controls are replaced rather than escaped.
func TestChallengeQuoting(t *testing.T) {
	t.Parallel()
	e := &Error{Status: 400, Code: CodeInvalidRequest, Description: "a \"quoted\" \\ value\r\nX: y\ttab §"}
	assert.Equal(t, `Bearer realm="r\\e\"alm", error="invalid_request", error_description="a 'quoted' / value??X: y?tab ?"`, e.challenge("r\\e\"al\nm"))
	assert.Empty(t, (&Error{Status: 503}).challenge("r"))
}
