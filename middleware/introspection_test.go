package middleware

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is an injected clock that tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeIntrospection is an RFC 7662 endpoint whose answers tests script.
type fakeIntrospection struct {
	mu      sync.Mutex
	answers map[string]string // token -> JSON body
	status  int
	hits    int
	last    *http.Request
	form    url.Values
}

func (f *fakeIntrospection) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits++
	_ = r.ParseForm()
	f.last, f.form = r, r.PostForm
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	body, ok := f.answers[r.PostForm.Get("token")]
	if !ok {
		body = `{"active":false}`
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(body))
}

func (f *fakeIntrospection) hitCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

func newIntrospectionFixture(t *testing.T, cfg IntrospectionConfig) (*IntrospectionVerifier, *fakeIntrospection, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	exp := clock.Now().Add(time.Hour).Unix()
	f := &fakeIntrospection{answers: map[string]string{
		"user-token":    `{"active":true,"scope":"read  write","client_id":"app","sub":"alice","aud":"api","exp":` + itoa(exp) + `,"iat":1699999000,"token_type":"Bearer"}`,
		"machine-token": `{"active":true,"scope":"read","client_id":"svc","aud":["api","other"],"exp":` + itoa(exp) + `}`,
		"short-token":   `{"active":true,"client_id":"app","exp":` + itoa(clock.Now().Add(10*time.Second).Unix()) + `}`,
		"expired-token": `{"active":true,"client_id":"app","exp":` + itoa(clock.Now().Add(-time.Second).Unix()) + `}`,
		"future-token":  `{"active":true,"client_id":"app","nbf":` + itoa(clock.Now().Add(time.Minute).Unix()) + `}`,
		"refresh-token": `{"active":true,"client_id":"app","token_type":"refresh_token"}`,
		"no-active":     `{"client_id":"app"}`,
		"garbage":       `{"active":tru`,
		"bad-aud":       `{"active":true,"aud":7}`,
	}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.URL = srv.URL + "/oauth/introspect"
	if cfg.ClientID == "" {
		cfg.ClientID = "resource server"
		cfg.ClientSecret = "p@ss:wörd+1"
	}
	cfg.HTTPClient = srv.Client()
	cfg.Now = clock.Now
	v, err := NewIntrospectionVerifier(cfg)
	require.NoError(t, err)
	return v, f, clock
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func TestIntrospectionRequest(t *testing.T) {
	t.Parallel()
	v, f, clock := newIntrospectionFixture(t, IntrospectionConfig{})
	info, err := v.VerifyAccessToken(t.Context(), "user-token")
	require.NoError(t, err)
	assert.Equal(t, TokenInfo{
		Subject:   "alice",
		ClientID:  "app",
		Scopes:    []string{"read", "write"},
		Audience:  []string{"api"},
		ExpiresAt: clock.Now().Add(time.Hour),
		IssuedAt:  time.Unix(1699999000, 0),
	}, info)

	require.NotNil(t, f.last)
	assert.Equal(t, http.MethodPost, f.last.Method)
	assert.Equal(t, "/oauth/introspect", f.last.URL.Path)
	assert.Equal(t, "application/x-www-form-urlencoded", f.last.Header.Get("Content-Type"))
	assert.Equal(t, url.Values{"token": {"user-token"}, "token_type_hint": {"access_token"}}, f.form)
	// RFC 6749 §2.3.1: the id and secret are form-encoded before base64.
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("resource+server:p%40ss%3Aw%C3%B6rd%2B1"))
	assert.Equal(t, want, f.last.Header.Get("Authorization"))
	id, secret, ok := f.last.BasicAuth()
	require.True(t, ok)
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	assert.Equal(t, "resource server", id)
	assert.Equal(t, "p@ss:wörd+1", secret)

	info, err = v.VerifyAccessToken(t.Context(), "machine-token")
	require.NoError(t, err)
	assert.Equal(t, []string{"api", "other"}, info.Audience)
	assert.Empty(t, info.Subject)
	assert.True(t, info.IssuedAt.IsZero())
}

func TestIntrospectionRejections(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		token   string
		status  int
		invalid bool // wraps ErrInvalidToken; otherwise a system failure
	}{
		{name: "an inactive token is invalid", token: "unknown", invalid: true},
		{name: "an expired exp is invalid", token: "expired-token", invalid: true},
		{name: "a future nbf is invalid", token: "future-token", invalid: true},
		{name: "a refresh token is invalid", token: "refresh-token", invalid: true},
		{name: "a response without active is a system failure", token: "no-active"},
		{name: "malformed JSON is a system failure", token: "garbage"},
		{name: "a bad aud is a system failure", token: "bad-aud"},
		{name: "status 401 is a system failure", token: "user-token", status: http.StatusUnauthorized},
		{name: "status 500 is a system failure", token: "user-token", status: http.StatusInternalServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, f, _ := newIntrospectionFixture(t, IntrospectionConfig{})
			f.status = tc.status
			_, err := v.VerifyAccessToken(t.Context(), tc.token)
			require.Error(t, err)
			assert.Equal(t, tc.invalid, errors.Is(err, ErrInvalidToken), err.Error())
			assert.NotContains(t, err.Error(), tc.token)
		})
	}
}

func TestIntrospectionTransportFailure(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	v, err := NewIntrospectionVerifier(IntrospectionConfig{URL: srv.URL, ClientID: "rs"})
	require.NoError(t, err)
	_, err = v.VerifyAccessToken(t.Context(), "secret-token-value")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrInvalidToken)
	assert.NotContains(t, err.Error(), "secret-token-value")

	// Through Authenticate a system failure is a 503, never a pass.
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer secret-token-value")
	rec := httptest.NewRecorder()
	mustAuthenticate(t, v, Options{})(okHandler).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"))
}

func TestIntrospectionCache(t *testing.T) {
	t.Parallel()
	v, f, clock := newIntrospectionFixture(t, IntrospectionConfig{})
	for range 3 {
		_, err := v.VerifyAccessToken(t.Context(), "user-token")
		require.NoError(t, err)
	}
	assert.Equal(t, 1, f.hitCount(), "active result reused")

	clock.Advance(defaultIntrospectionCacheTTL - time.Second)
	_, err := v.VerifyAccessToken(t.Context(), "user-token")
	require.NoError(t, err)
	assert.Equal(t, 1, f.hitCount(), "still within CacheTTL")

	clock.Advance(time.Second)
	_, err = v.VerifyAccessToken(t.Context(), "user-token")
	require.NoError(t, err)
	assert.Equal(t, 2, f.hitCount(), "asked again once CacheTTL passed")

	// The key is the token's SHA-256: the raw token is not kept.
	assert.Equal(t, 1, v.active.size())
	assert.True(t, v.active.hasSHA256Of("user-token"))
	assert.Zero(t, v.inactive.size())
}

func TestIntrospectionCacheNeverPastExp(t *testing.T) {
	t.Parallel()
	v, f, clock := newIntrospectionFixture(t, IntrospectionConfig{})
	_, err := v.VerifyAccessToken(t.Context(), "short-token")
	require.NoError(t, err)
	clock.Advance(9 * time.Second)
	_, err = v.VerifyAccessToken(t.Context(), "short-token")
	require.NoError(t, err)
	assert.Equal(t, 1, f.hitCount())
	clock.Advance(time.Second) // now at exp: the cache must not answer
	_, err = v.VerifyAccessToken(t.Context(), "short-token")
	assert.ErrorIs(t, err, ErrInvalidToken)
	assert.Equal(t, 2, f.hitCount())
}

func TestIntrospectionInactiveCache(t *testing.T) {
	t.Parallel()
	v, f, clock := newIntrospectionFixture(t, IntrospectionConfig{})
	for range 2 {
		_, err := v.VerifyAccessToken(t.Context(), "unknown")
		assert.ErrorIs(t, err, ErrInvalidToken)
	}
	assert.Equal(t, 1, f.hitCount())
	clock.Advance(defaultInactiveCacheTTL)
	_, err := v.VerifyAccessToken(t.Context(), "unknown")
	assert.ErrorIs(t, err, ErrInvalidToken)
	assert.Equal(t, 2, f.hitCount())
}

func TestIntrospectionCacheOffAndFailuresNotCached(t *testing.T) {
	t.Parallel()
	v, f, _ := newIntrospectionFixture(t, IntrospectionConfig{CacheTTL: -1, InactiveCacheTTL: -1})
	for range 2 {
		_, err := v.VerifyAccessToken(t.Context(), "user-token")
		require.NoError(t, err)
		_, err = v.VerifyAccessToken(t.Context(), "unknown")
		require.ErrorIs(t, err, ErrInvalidToken)
	}
	assert.Equal(t, 4, f.hitCount())

	v, f, _ = newIntrospectionFixture(t, IntrospectionConfig{})
	f.status = http.StatusBadGateway
	for range 2 {
		_, err := v.VerifyAccessToken(t.Context(), "user-token")
		require.Error(t, err)
	}
	assert.Equal(t, 2, f.hitCount(), "system failures are not cached")
}

// TestIntrospectionCacheEvictsWhenFull: a full active cache makes room for
// a new active result instead of refusing it.
func TestIntrospectionCacheEvictsWhenFull(t *testing.T) {
	t.Parallel()
	v, f, _ := newIntrospectionFixture(t, IntrospectionConfig{MaxCacheEntries: 1})
	for i, step := range []struct {
		token string
		hits  int
	}{
		{"user-token", 1},
		{"machine-token", 2}, // replaces user-token
		{"machine-token", 2}, // cached
		{"user-token", 3},    // evicted, asked again
	} {
		_, err := v.VerifyAccessToken(t.Context(), step.token)
		require.NoError(t, err)
		assert.Equal(t, step.hits, f.hitCount(), "step %d", i)
	}
	assert.Equal(t, 1, v.active.size())
}

// TestIntrospectionCacheEvictsExpiredFirst: when the active cache is full,
// an entry past its deadline goes before a live one.
func TestIntrospectionCacheEvictsExpiredFirst(t *testing.T) {
	t.Parallel()
	v, f, clock := newIntrospectionFixture(t, IntrospectionConfig{MaxCacheEntries: 2})
	for _, tok := range []string{"user-token", "short-token"} {
		_, err := v.VerifyAccessToken(t.Context(), tok)
		require.NoError(t, err)
	}
	clock.Advance(10 * time.Second) // short-token's exp: its entry is dead
	_, err := v.VerifyAccessToken(t.Context(), "machine-token")
	require.NoError(t, err)
	assert.Equal(t, 3, f.hitCount())
	assert.True(t, v.active.hasSHA256Of("user-token"), "the live entry stayed")
	assert.True(t, v.active.hasSHA256Of("machine-token"))
	assert.False(t, v.active.hasSHA256Of("short-token"), "the expired entry went")
	_, err = v.VerifyAccessToken(t.Context(), "user-token")
	require.NoError(t, err)
	assert.Equal(t, 3, f.hitCount(), "user-token still answered from the cache")
}

// TestIntrospectionJunkTokensDoNotEvictOrBlockValidOnes: more bogus tokens
// than the cache holds fill only the space for inactive results; a valid
// token is then introspected once and served from the cache, and a valid
// token cached before the flood stays cached.
func TestIntrospectionJunkTokensDoNotEvictOrBlockValidOnes(t *testing.T) {
	t.Parallel()
	const size = 50
	v, f, _ := newIntrospectionFixture(t, IntrospectionConfig{MaxCacheEntries: size})
	_, err := v.VerifyAccessToken(t.Context(), "machine-token")
	require.NoError(t, err)
	const junk = 3 * size
	for i := range junk {
		_, err := v.VerifyAccessToken(t.Context(), "bogus-"+strconv.Itoa(i))
		require.ErrorIs(t, err, ErrInvalidToken)
	}
	require.Equal(t, 1+junk, f.hitCount(), "every distinct bogus token costs one request")
	assert.Equal(t, size, v.inactive.size(), "the inactive space is full")
	assert.Equal(t, 1, v.active.size())

	for range 5 {
		_, err := v.VerifyAccessToken(t.Context(), "user-token")
		require.NoError(t, err)
		_, err = v.VerifyAccessToken(t.Context(), "machine-token")
		require.NoError(t, err)
	}
	assert.Equal(t, 1+junk+1, f.hitCount(), "user-token introspected once, machine-token never again")

	// The newest bogus token displaced an older one and is remembered.
	last := "bogus-" + strconv.Itoa(junk-1)
	assert.True(t, v.inactive.hasSHA256Of(last))
	_, err = v.VerifyAccessToken(t.Context(), last)
	require.ErrorIs(t, err, ErrInvalidToken)
	assert.Equal(t, 1+junk+1, f.hitCount())
}

func TestIntrospectionReturnedInfoIsACopy(t *testing.T) {
	t.Parallel()
	v, _, _ := newIntrospectionFixture(t, IntrospectionConfig{})
	info, err := v.VerifyAccessToken(t.Context(), "user-token")
	require.NoError(t, err)
	info.Scopes[0] = "admin"
	again, err := v.VerifyAccessToken(t.Context(), "user-token")
	require.NoError(t, err)
	assert.Equal(t, []string{"read", "write"}, again.Scopes)
}

func TestNewIntrospectionVerifierConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  IntrospectionConfig
		err  string
	}{
		{"missing URL", IntrospectionConfig{ClientID: "rs"}, "middleware: introspection URL must be an absolute http or https URL"},
		{"relative URL", IntrospectionConfig{URL: "/introspect", ClientID: "rs"}, "middleware: introspection URL must be an absolute http or https URL"},
		{"missing client", IntrospectionConfig{URL: "https://as.example/introspect"}, "middleware: introspection ClientID is required"},
		{"cache TTL too long", IntrospectionConfig{URL: "https://as.example/i", ClientID: "rs", CacheTTL: time.Hour}, "middleware: introspection CacheTTL above 5m0s"},
		{"inactive TTL too long", IntrospectionConfig{URL: "https://as.example/i", ClientID: "rs", InactiveCacheTTL: time.Minute}, "middleware: introspection InactiveCacheTTL above 30s"},
		{"negative cache size", IntrospectionConfig{URL: "https://as.example/i", ClientID: "rs", MaxCacheEntries: -1}, "middleware: negative introspection MaxCacheEntries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewIntrospectionVerifier(tc.cfg)
			assert.EqualError(t, err, tc.err)
			assert.Nil(t, v)
		})
	}
}
