package middleware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stubVerifier knows two tokens; "down" is a system failure and everything
// else is invalid.
func stubVerifier(calls *int) Verifier {
	return VerifierFunc(func(_ context.Context, token string) (TokenInfo, error) {
		if calls != nil {
			*calls++
		}
		switch token {
		case "good-token", "mF_9.B5f-4.1JqM", "query-token":
			return TokenInfo{Subject: "alice", ClientID: "app", Scopes: []string{"read", "write"}}, nil
		case "aud-token":
			return TokenInfo{Subject: "alice", ClientID: "app", Audience: []string{"https://api.example/", "https://api.example"}}, nil
		case "down":
			return TokenInfo{}, errors.New("store unreachable")
		}
		return TokenInfo{}, fmt.Errorf("%w: unknown", ErrInvalidToken)
	})
}

// okHandler reports the subject it was called for.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	info, ok := TokenInfoFromContext(r.Context())
	if !ok {
		http.Error(w, "no token info", http.StatusTeapot)
		return
	}
	_, _ = fmt.Fprintf(w, "hello %s", info.Subject)
})

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", defaultMaxTokenLength+1)
	cases := []struct {
		name      string
		opts      Options
		method    string
		target    string
		headers   []string // Authorization values
		form      url.Values
		status    int
		challenge string
		body      string
		calls     int
	}{
		{name: "a valid bearer token reaches the handler", headers: []string{"Bearer good-token"}, status: 200, body: "hello alice", calls: 1},
		{name: "the scheme is case-insensitive", headers: []string{"bEaReR good-token"}, status: 200, body: "hello alice", calls: 1},
		{name: "several spaces after the scheme are allowed", headers: []string{"Bearer   good-token"}, status: 200, body: "hello alice", calls: 1},
		{name: "the RFC 6750 example token is accepted", headers: []string{"Bearer mF_9.B5f-4.1JqM"}, status: 200, body: "hello alice", calls: 1},
		{name: "no Authorization header gets a challenge without error", status: 401, challenge: `Bearer`, body: "Unauthorized\n"},
		{name: "realm is sent when configured", opts: Options{Realm: "example"}, status: 401, challenge: `Bearer realm="example"`, body: "Unauthorized\n"},
		{name: "realm quotes and backslashes are escaped", opts: Options{Realm: `a "b" \c`}, status: 401, challenge: `Bearer realm="a \"b\" \\c"`, body: "Unauthorized\n"},
		{name: "another scheme counts as no credentials", opts: Options{Realm: "example"}, headers: []string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, status: 401, challenge: `Bearer realm="example"`, body: "Unauthorized\n"},
		{name: "an empty header counts as no credentials", headers: []string{""}, status: 401, challenge: `Bearer`, body: "Unauthorized\n"},
		{name: "an unknown token is invalid_token", opts: Options{Realm: "example"}, headers: []string{"Bearer nope"}, status: 401, challenge: `Bearer realm="example", error="invalid_token"`, body: "invalid_token\n", calls: 1},
		{name: "a too long token is invalid_request without calling the verifier", headers: []string{"Bearer " + long}, status: 400, challenge: `Bearer error="invalid_request", error_description="access token too long"`, body: "invalid_request\n"},
		{name: "a token at the default cap is verified", headers: []string{"Bearer " + long[1:]}, status: 401, challenge: `Bearer error="invalid_token"`, body: "invalid_token\n", calls: 1},
		{name: "a token at the cap is verified", opts: Options{MaxTokenLength: 4}, headers: []string{"Bearer abcd"}, status: 401, challenge: `Bearer error="invalid_token"`, body: "invalid_token\n", calls: 1},
		{name: "a token over a custom cap is invalid_request", opts: Options{MaxTokenLength: 4}, headers: []string{"Bearer abcde"}, status: 400, challenge: `Bearer error="invalid_request", error_description="access token too long"`, body: "invalid_request\n"},
		{name: "a query token over the cap is invalid_request", opts: Options{MaxTokenLength: 4, AllowQueryToken: true}, target: "/?access_token=abcde", status: 400, challenge: `Bearer error="invalid_request", error_description="access token too long"`, body: "invalid_request\n"},
		{name: "a form token over the cap is invalid_request", opts: Options{MaxTokenLength: 4, AllowFormToken: true}, method: http.MethodPost, form: url.Values{"access_token": {"abcde"}}, status: 400, challenge: `Bearer error="invalid_request", error_description="access token too long"`, body: "invalid_request\n"},
		{name: "Bearer without a token is invalid_request", opts: Options{Realm: "example"}, headers: []string{"Bearer"}, status: 400, challenge: `Bearer realm="example", error="invalid_request", error_description="malformed Authorization header"`, body: "invalid_request\n"},
		{name: "a tab instead of a space is invalid_request", headers: []string{"Bearer\tgood-token"}, status: 400, challenge: `Bearer error="invalid_request", error_description="malformed Authorization header"`, body: "invalid_request\n"},
		{name: "a token with a space inside is invalid_request", headers: []string{"Bearer good token"}, status: 400, challenge: `Bearer error="invalid_request", error_description="malformed Authorization header"`, body: "invalid_request\n"},
		{name: "padding in the middle is invalid_request", headers: []string{"Bearer ab=cd"}, status: 400, challenge: `Bearer error="invalid_request", error_description="malformed Authorization header"`, body: "invalid_request\n"},
		{name: "a header that is not a credential is invalid_request", headers: []string{"=abc"}, status: 400, challenge: `Bearer error="invalid_request", error_description="malformed Authorization header"`, body: "invalid_request\n"},
		{name: "two Authorization headers are invalid_request", headers: []string{"Bearer good-token", "Bearer good-token"}, status: 400, challenge: `Bearer error="invalid_request", error_description="more than one Authorization header"`, body: "invalid_request\n"},
		{name: "a query token is ignored unless allowed", target: "/?access_token=query-token", status: 401, challenge: `Bearer`, body: "Unauthorized\n"},
		{name: "a query token next to a header is invalid_request even when not allowed", target: "/?access_token=query-token", headers: []string{"Bearer good-token"}, status: 400, challenge: `Bearer error="invalid_request", error_description="more than one access token in the request"`, body: "invalid_request\n"},
		{name: "an empty access_token parameter next to a header is invalid_request", target: "/?access_token=", headers: []string{"Bearer good-token"}, status: 400, challenge: `Bearer error="invalid_request", error_description="more than one access token in the request"`, body: "invalid_request\n"},
		{name: "a percent-encoded access_token name counts as the parameter", target: "/?x=1&access%5Ftoken=query-token", headers: []string{"Bearer good-token"}, status: 400, challenge: `Bearer error="invalid_request", error_description="more than one access token in the request"`, body: "invalid_request\n"},
		{name: "other query parameters next to a header are fine", target: "/?access_tokens=1&my_access_token=2&q=access_token", headers: []string{"Bearer good-token"}, status: 200, body: "hello alice", calls: 1},
		{name: "a percent-encoded allowed query token is decoded", opts: Options{AllowQueryToken: true}, target: "/?access_token=query%2Dtoken", status: 200, body: "hello alice", calls: 1},
		{name: "an undecodable query token is invalid_request", opts: Options{AllowQueryToken: true}, target: "/?access_token=query%zztoken", status: 400, challenge: `Bearer error="invalid_request", error_description="malformed access_token parameter"`, body: "invalid_request\n"},
		{name: "an allowed query token is used", opts: Options{AllowQueryToken: true}, target: "/?access_token=query-token", status: 200, body: "hello alice", calls: 1},
		{name: "header and query token at once are invalid_request", opts: Options{AllowQueryToken: true}, target: "/?access_token=query-token", headers: []string{"Bearer good-token"}, status: 400, challenge: `Bearer error="invalid_request", error_description="more than one access token in the request"`, body: "invalid_request\n"},
		{name: "two query tokens are invalid_request", opts: Options{AllowQueryToken: true}, target: "/?access_token=a&access_token=b", status: 400, challenge: `Bearer error="invalid_request", error_description="more than one access token in the request"`, body: "invalid_request\n"},
		{name: "a malformed query token is invalid_request", opts: Options{AllowQueryToken: true}, target: "/?access_token=a%20b", status: 400, challenge: `Bearer error="invalid_request", error_description="malformed access_token parameter"`, body: "invalid_request\n"},
		{name: "an allowed form token is used", opts: Options{AllowFormToken: true}, method: http.MethodPost, form: url.Values{"access_token": {"good-token"}}, status: 200, body: "hello alice", calls: 1},
		{name: "a form token is ignored unless allowed", method: http.MethodPost, form: url.Values{"access_token": {"good-token"}}, status: 401, challenge: `Bearer`, body: "Unauthorized\n"},
		{name: "header and form token at once are invalid_request", opts: Options{AllowFormToken: true}, method: http.MethodPost, form: url.Values{"access_token": {"good-token"}}, headers: []string{"Bearer good-token"}, status: 400, challenge: `Bearer error="invalid_request", error_description="more than one access token in the request"`, body: "invalid_request\n"},
		{name: "query and form token at once are invalid_request", opts: Options{AllowFormToken: true, AllowQueryToken: true}, method: http.MethodPost, target: "/?access_token=query-token", form: url.Values{"access_token": {"good-token"}}, status: 400, challenge: `Bearer error="invalid_request", error_description="more than one access token in the request"`, body: "invalid_request\n"},
		{name: "a form token next to a query token is invalid_request even when query tokens are not allowed", opts: Options{AllowFormToken: true}, method: http.MethodPost, target: "/?access_token=query-token", form: url.Values{"access_token": {"good-token"}}, status: 400, challenge: `Bearer error="invalid_request", error_description="more than one access token in the request"`, body: "invalid_request\n"},
		{name: "two form tokens are invalid_request", opts: Options{AllowFormToken: true}, method: http.MethodPost, form: url.Values{"access_token": {"good-token", "good-token"}}, status: 400, challenge: `Bearer error="invalid_request", error_description="more than one access token in the request"`, body: "invalid_request\n"},
		{name: "a form token on GET is not looked for", opts: Options{AllowFormToken: true}, method: http.MethodGet, form: url.Values{"access_token": {"good-token"}}, status: 401, challenge: `Bearer`, body: "Unauthorized\n"},
		{name: "a token the verifier accepts for the configured audience passes", opts: Options{Audience: "https://api.example/"}, headers: []string{"Bearer aud-token"}, status: 200, body: "hello alice", calls: 1},
		{name: "a token for another audience is invalid_token", opts: Options{Realm: "api", Audience: "https://other.example/"}, headers: []string{"Bearer aud-token"}, status: 401, challenge: `Bearer realm="api", error="invalid_token"`, body: "invalid_token\n", calls: 1},
		{name: "a token without an audience is invalid_token when one is required", opts: Options{Audience: "https://api.example/"}, headers: []string{"Bearer good-token"}, status: 401, challenge: `Bearer error="invalid_token"`, body: "invalid_token\n", calls: 1},
		{name: "a verifier system failure is 503 without a challenge", headers: []string{"Bearer down"}, status: 503, body: "Service Unavailable\n", calls: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			mw, err := Authenticate(stubVerifier(&calls), tc.opts)
			require.NoError(t, err)
			method, target := tc.method, tc.target
			if method == "" {
				method = http.MethodGet
			}
			if target == "" {
				target = "/"
			}
			var body *strings.Reader
			if tc.form != nil {
				body = strings.NewReader(tc.form.Encode())
			} else {
				body = strings.NewReader("")
			}
			req := httptest.NewRequestWithContext(t.Context(), method, target, body)
			if tc.form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for _, h := range tc.headers {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()
			mw(okHandler).ServeHTTP(rec, req)

			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
			assert.Len(t, rec.Header().Values("WWW-Authenticate"), min(len(tc.challenge), 1))
			assert.Equal(t, tc.body, rec.Body.String())
			assert.Equal(t, tc.calls, calls)
			if tc.status != http.StatusOK {
				assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			} else {
				assert.Empty(t, rec.Header().Get("Cache-Control"))
			}
		})
	}
}

func TestAuthenticateRejectsBadConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		v    Verifier
		opts Options
		err  string
	}{
		{"a nil Verifier", nil, Options{}, "middleware: Authenticate needs a Verifier, got nil"},
		{"a typed nil *JWTVerifier", (*JWTVerifier)(nil), Options{}, "middleware: Authenticate needs a Verifier, got nil"},
		{"a nil VerifierFunc", VerifierFunc(nil), Options{}, "middleware: Authenticate needs a Verifier, got nil"},
		{"a negative MaxTokenLength", stubVerifier(nil), Options{MaxTokenLength: -1}, "middleware: Options.MaxTokenLength is negative"},
		{"a realm with a line break", stubVerifier(nil), Options{Realm: "a\r\nSet-Cookie: x=y"}, "middleware: Options.Realm contains a control character"},
		{"a realm with DEL", stubVerifier(nil), Options{Realm: "a\x7f"}, "middleware: Options.Realm contains a control character"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mw, err := Authenticate(tc.v, tc.opts)
			assert.EqualError(t, err, tc.err)
			assert.Nil(t, mw)
		})
	}
}

// TestAuthenticateHeaderAndQueryTokenIsInvalidRequest: RFC 6750 §2 allows
// one method per request, and the query is checked whether or not query
// tokens are allowed, without calling the Verifier.
func TestAuthenticateHeaderAndQueryTokenIsInvalidRequest(t *testing.T) {
	t.Parallel()
	for _, allow := range []bool{false, true} {
		calls := 0
		mw, err := Authenticate(stubVerifier(&calls), Options{AllowQueryToken: allow})
		require.NoError(t, err)
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/me?access_token=query-token", nil)
		req.Header.Set("Authorization", "Bearer good-token")
		rec := httptest.NewRecorder()
		mw(okHandler).ServeHTTP(rec, req)
		assert.Equal(t, http.StatusBadRequest, rec.Code, "AllowQueryToken %v", allow)
		assert.Equal(t, `Bearer error="invalid_request", error_description="more than one access token in the request"`, rec.Header().Get("WWW-Authenticate"))
		assert.Equal(t, "invalid_request\n", rec.Body.String())
		assert.Zero(t, calls)
	}
}

// TestAuthenticateHeaderAndBodyTokenIsInvalidRequest: with form tokens on, a
// token in the body beside the header is two methods (RFC 6750 §2).
func TestAuthenticateHeaderAndBodyTokenIsInvalidRequest(t *testing.T) {
	t.Parallel()
	calls := 0
	mw, err := Authenticate(stubVerifier(&calls), Options{AllowFormToken: true})
	require.NoError(t, err)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/me", strings.NewReader("access_token=good-token"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer good-token")
	rec := httptest.NewRecorder()
	mw(okHandler).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, `Bearer error="invalid_request", error_description="more than one access token in the request"`, rec.Header().Get("WWW-Authenticate"))
	assert.Zero(t, calls)
}

// TestAuthenticateFormTokenOffLeavesBodyUnread: without AllowFormToken the
// body is never read, so a token in it goes unnoticed and the handler gets
// the whole body.
func TestAuthenticateFormTokenOffLeavesBodyUnread(t *testing.T) {
	t.Parallel()
	mw, err := Authenticate(stubVerifier(nil), Options{})
	require.NoError(t, err)
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Nil(t, r.PostForm, "the form was not parsed")
		b, err := io.ReadAll(r.Body)
		assert.NoError(t, err)
		_, _ = w.Write(b)
	})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/me", strings.NewReader("access_token=other&x=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer good-token")
	rec := httptest.NewRecorder()
	mw(echo).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "access_token=other&x=1", rec.Body.String())
}

// TestAuthenticateOversizedAuthorizationHeaderIsInvalidRequest: a bearer
// token longer than MaxTokenLength is a malformed request (400), not an
// invalid token (401), and never reaches the Verifier.
func TestAuthenticateOversizedAuthorizationHeaderIsInvalidRequest(t *testing.T) {
	t.Parallel()
	calls := 0
	mw, err := Authenticate(stubVerifier(&calls), Options{Realm: "api"})
	require.NoError(t, err)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/me", nil)
	req.Header.Set("Authorization", "Bearer "+strings.Repeat("A", defaultMaxTokenLength+1))
	rec := httptest.NewRecorder()
	mw(okHandler).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, `Bearer realm="api", error="invalid_request", error_description="access token too long"`, rec.Header().Get("WWW-Authenticate"))
	assert.Equal(t, "invalid_request\n", rec.Body.String())
	assert.Zero(t, calls)
}

// TestAuthenticateAudienceRefusesTokenForAnotherResource: with
// Options.Audience set, a token the Verifier accepts but whose audience does
// not name this resource server is refused (RFC 8707 §2, RFC 9068 §4), and
// the handler never runs.
func TestAuthenticateAudienceRefusesTokenForAnotherResource(t *testing.T) {
	t.Parallel()
	v := VerifierFunc(func(_ context.Context, token string) (TokenInfo, error) {
		return TokenInfo{Subject: "alice", Audience: strings.Split(token, ".")}, nil
	})
	var refused *Error
	mw, err := Authenticate(v, Options{Audience: "api", ErrorHandler: func(w http.ResponseWriter, r *http.Request, e *Error) {
		refused = e
		DefaultErrorHandler(w, r, e)
	}})
	require.NoError(t, err)
	for _, tc := range []struct {
		token  string
		status int
	}{
		{"api", 200},
		{"other.api", 200},
		{"other", 401},
		{"API", 401},
		{"api-v2.apii", 401},
	} {
		refused = nil
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/me", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		rec := httptest.NewRecorder()
		mw(okHandler).ServeHTTP(rec, req)
		assert.Equal(t, tc.status, rec.Code, tc.token)
		if tc.status == http.StatusUnauthorized {
			assert.Equal(t, `Bearer error="invalid_token"`, rec.Header().Get("WWW-Authenticate"), tc.token)
			if assert.NotNil(t, refused, tc.token) {
				assert.Equal(t, CodeInvalidToken, refused.Code)
				assert.EqualError(t, refused, "middleware: invalid_token: middleware: token not meant for this audience")
			}
		} else {
			assert.Equal(t, "hello alice", rec.Body.String(), tc.token)
		}
	}
}

func TestAuthenticateCustomErrorHandler(t *testing.T) {
	t.Parallel()
	var got *Error
	mw, err := Authenticate(stubVerifier(nil), Options{
		Realm: "api",
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, e *Error) {
			got = e
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(e.Status)
			_, _ = fmt.Fprintf(w, `{"error":%q}`, e.Code)
		},
	})
	require.NoError(t, err)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer nope")
	rec := httptest.NewRecorder()
	mw(okHandler).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, `{"error":"invalid_token"}`, rec.Body.String())
	assert.Equal(t, `Bearer realm="api", error="invalid_token"`, rec.Header().Get("WWW-Authenticate"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	require.NotNil(t, got)
	assert.ErrorIs(t, got, ErrInvalidToken)
}

func TestAuthenticateSystemFailureHidesCause(t *testing.T) {
	t.Parallel()
	var got *Error
	mw, err := Authenticate(stubVerifier(nil), Options{
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, e *Error) {
			got = e
			DefaultErrorHandler(w, r, e)
		},
	})
	require.NoError(t, err)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer down")
	rec := httptest.NewRecorder()
	mw(okHandler).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.NotContains(t, rec.Body.String(), "store unreachable")
	require.NotNil(t, got)
	assert.EqualError(t, got, "middleware: service unavailable: store unreachable")
	assert.NotErrorIs(t, got, ErrInvalidToken)
}

func TestContextTokenInfo(t *testing.T) {
	t.Parallel()
	_, ok := TokenInfoFromContext(t.Context())
	assert.False(t, ok)
	in := TokenInfo{Subject: "s", ClientID: "c", Scopes: []string{"a"}}
	got, ok := TokenInfoFromContext(ContextWithTokenInfo(t.Context(), in))
	assert.True(t, ok)
	assert.Equal(t, in, got)
	assert.True(t, got.HasScope("a"))
	assert.False(t, got.HasScope("A"))
	assert.False(t, got.HasScope(""))
}

func TestTokenInfoContextBehavesLikeWithValue(t *testing.T) {
	t.Parallel()
	type otherKey struct{}
	parent, cancel := context.WithCancel(context.WithValue(t.Context(), otherKey{}, "v"))
	ctx := ContextWithTokenInfo(parent, TokenInfo{Subject: "a"})
	assert.Equal(t, "v", ctx.Value(otherKey{}))
	inner := ContextWithTokenInfo(ctx, TokenInfo{Subject: "b"})
	got, ok := TokenInfoFromContext(inner)
	assert.True(t, ok)
	assert.Equal(t, "b", got.Subject, "the innermost value wins")

	child, stop := context.WithCancel(inner)
	defer stop()
	cancel()
	<-child.Done() // cancellation propagates through the token info context
	assert.ErrorIs(t, child.Err(), context.Canceled)
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
}

func TestTokenInfoClone(t *testing.T) {
	t.Parallel()
	assert.Equal(t, TokenInfo{Subject: "s"}, TokenInfo{Subject: "s"}.clone())
	in := TokenInfo{Scopes: []string{"a", "b"}, Audience: []string{"x"}}
	out := in.clone()
	assert.Equal(t, in, out)
	out.Scopes[0] = "changed"
	out.Scopes = append(out.Scopes, "c")
	out.Audience[0] = "changed"
	assert.Equal(t, []string{"a", "b"}, in.Scopes)
	assert.Equal(t, []string{"x"}, in.Audience)
	assert.Equal(t, []string{"changed"}, out.Audience, "appending to Scopes did not touch Audience")
	empty := TokenInfo{Scopes: []string{}}.clone()
	assert.NotNil(t, empty.Scopes)
	assert.Nil(t, empty.Audience)
}

func TestAuthenticateNeverLogsTheToken(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mw, err := Authenticate(stubVerifier(nil), Options{Logger: logger})
	require.NoError(t, err)
	for _, tok := range []string{"nope-secret-1", "down"} {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		mw(okHandler).ServeHTTP(httptest.NewRecorder(), req)
	}
	mu.Lock()
	defer mu.Unlock()
	out := buf.String()
	assert.Contains(t, out, "level=DEBUG")
	assert.Contains(t, out, "level=ERROR")
	assert.Contains(t, out, "store unreachable")
	assert.NotContains(t, out, "nope-secret-1")
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
