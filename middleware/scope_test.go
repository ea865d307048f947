package middleware

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequireScope(t *testing.T) {
	t.Parallel()
	granted := &TokenInfo{Subject: "alice", Scopes: []string{"read", "write"}}
	cases := []struct {
		name      string
		mw        func(http.Handler) http.Handler
		info      *TokenInfo // nil: no Authenticate in front
		status    int
		challenge string
		body      string
	}{
		{name: "all required scopes granted", mw: RequireScope("read", "write"), info: granted, status: 200, body: "hello alice"},
		{name: "no scopes required", mw: RequireScope(), info: granted, status: 200, body: "hello alice"},
		{name: "one required scope missing", mw: RequireScope("read", "admin"), info: granted, status: 403, challenge: `Bearer error="insufficient_scope", scope="read admin"`, body: "insufficient_scope\n"},
		{name: "scopes compare case-sensitively", mw: RequireScope("READ"), info: granted, status: 403, challenge: `Bearer error="insufficient_scope", scope="READ"`, body: "insufficient_scope\n"},
		{name: "a token without scopes", mw: RequireScope("read"), info: &TokenInfo{Subject: "alice"}, status: 403, challenge: `Bearer error="insufficient_scope", scope="read"`, body: "insufficient_scope\n"},
		{name: "without Authenticate the answer is 401", mw: RequireScope("read"), status: 401, challenge: `Bearer`, body: "Unauthorized\n"},
		{name: "without Authenticate even no scopes is 401", mw: RequireScope(), status: 401, challenge: `Bearer`, body: "Unauthorized\n"},
		{name: "an invalid scope can never be satisfied", mw: RequireScope(`a"b`), info: &TokenInfo{Subject: "alice", Scopes: []string{`a"b`}}, status: 403, challenge: `Bearer error="insufficient_scope", scope="a\"b"`, body: "insufficient_scope\n"},
		{name: "any scope: one of them granted", mw: RequireAnyScope("admin", "write"), info: granted, status: 200, body: "hello alice"},
		{name: "any scope: none granted", mw: RequireAnyScope("admin", "root"), info: granted, status: 403, challenge: `Bearer error="insufficient_scope", scope="admin root"`, body: "insufficient_scope\n"},
		{name: "any scope of none is never satisfied", mw: RequireAnyScope(), info: granted, status: 403, challenge: `Bearer error="insufficient_scope"`, body: "insufficient_scope\n"},
		{name: "any scope without Authenticate is 401", mw: RequireAnyScope("read"), status: 401, challenge: `Bearer`, body: "Unauthorized\n"},
		{name: "realm from options on 403", mw: mustScope(t, Options{Realm: "api"}, "admin"), info: granted, status: 403, challenge: `Bearer realm="api", error="insufficient_scope", scope="admin"`, body: "insufficient_scope\n"},
		{name: "realm from options on 401", mw: mustScope(t, Options{Realm: "api"}, "admin"), status: 401, challenge: `Bearer realm="api"`, body: "Unauthorized\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			if tc.info != nil {
				req = req.WithContext(ContextWithTokenInfo(req.Context(), *tc.info))
			}
			rec := httptest.NewRecorder()
			tc.mw(okHandler).ServeHTTP(rec, req)
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
			assert.Equal(t, tc.body, rec.Body.String())
			if tc.status != http.StatusOK {
				assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			}
		})
	}
}

func mustScope(t *testing.T, opts Options, scopes ...string) func(http.Handler) http.Handler {
	t.Helper()
	mw, err := RequireScopeWithOptions(opts, scopes...)
	require.NoError(t, err)
	return mw
}

func TestRequireScopeWithOptionsRejectsBadConfig(t *testing.T) {
	t.Parallel()
	_, err := RequireScopeWithOptions(Options{}, "read", "two words")
	assert.EqualError(t, err, `middleware: invalid scope "two words"`)
	_, err = RequireScopeWithOptions(Options{}, "")
	assert.EqualError(t, err, `middleware: invalid scope ""`)
	_, err = RequireScopeWithOptions(Options{Realm: "a\nb"}, "read")
	assert.EqualError(t, err, "middleware: realm contains a control character")
	_, err = RequireAnyScopeWithOptions(Options{})
	assert.EqualError(t, err, "middleware: RequireAnyScope needs at least one scope")
	_, err = RequireAnyScopeWithOptions(Options{}, `back\slash`)
	assert.EqualError(t, err, `middleware: invalid scope "back\\slash"`)
	mw, err := RequireAnyScopeWithOptions(Options{}, "read")
	require.NoError(t, err)
	assert.NotNil(t, mw)
}

func TestRequireScopeCopiesItsArguments(t *testing.T) {
	t.Parallel()
	scopes := []string{"read"}
	mw := RequireScope(scopes...)
	scopes[0] = "write"
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req = req.WithContext(ContextWithTokenInfo(req.Context(), TokenInfo{Subject: "bob", Scopes: []string{"read"}}))
	rec := httptest.NewRecorder()
	mw(okHandler).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
}

func TestChallengeQuoting(t *testing.T) {
	t.Parallel()
	e := &Error{Status: 400, Code: CodeInvalidRequest, Description: "a \"quoted\" \\ value\r\nX: y\ttab"}
	assert.Equal(t, `Bearer realm="r\\e\"alm", error="invalid_request", error_description="a \"quoted\" \\ valueX: y`+"\t"+`tab"`, e.challenge(`r\e"alm`))
	assert.Empty(t, (&Error{Status: 503}).challenge("r"))
}
