package middleware

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mustAuthenticate builds Authenticate(v, opts), failing t on a
// configuration error.
func mustAuthenticate(t testing.TB, v Verifier, opts Options) func(http.Handler) http.Handler {
	t.Helper()
	mw, err := Authenticate(v, opts)
	require.NoError(t, err)
	return mw
}

// mustScope builds RequireScope, or RequireAnyScope when anyOf is set.
func mustScope(t testing.TB, anyOf bool, scopes ...string) func(http.Handler) http.Handler {
	t.Helper()
	build := RequireScope
	if anyOf {
		build = RequireAnyScope
	}
	mw, err := build(scopes...)
	require.NoError(t, err)
	return mw
}

// protect puts h behind Authenticate(v) with the zero Options and
// RequireScope(scopes...).
func protect(t testing.TB, v Verifier, h http.Handler, scopes ...string) http.Handler {
	t.Helper()
	return mustAuthenticate(t, v, Options{})(mustScope(t, false, scopes...)(h))
}

// TestDocumentedDefaults pins the defaults and bounds that the Options,
// JWTConfig and IntrospectionConfig field docs state in words, so the docs
// and the code cannot drift apart.
func TestDocumentedDefaults(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 4096, defaultMaxTokenLength)
	assert.Equal(t, 30*time.Second, defaultLeeway)
	assert.Equal(t, 5*time.Minute, maxLeeway)
	assert.Equal(t, 30*time.Second, defaultJWKSMinInterval)
	assert.Equal(t, time.Hour, defaultJWKSMaxAge)
	assert.Equal(t, 5*time.Minute, defaultJWTCacheTTL)
	assert.Equal(t, 30*time.Second, defaultIntrospectionCacheTTL)
	assert.Equal(t, 5*time.Minute, maxIntrospectionCacheTTL)
	assert.Equal(t, 5*time.Second, defaultInactiveCacheTTL)
	assert.Equal(t, 30*time.Second, maxInactiveCacheTTL)
	assert.Equal(t, 10000, defaultCacheEntries)
}
