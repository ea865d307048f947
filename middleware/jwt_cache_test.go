package middleware

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"unsafe"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holds reports whether there is an entry, live or expired, keyed by the
// SHA-256 of token's signature and holding token's signing input and no
// more of it.
func (jc jwtCache) holds(token string) bool {
	i := strings.LastIndexByte(token, '.')
	jc.c.mu.RLock()
	defer jc.c.mu.RUnlock()
	e, ok := jc.c.m[sha256.Sum256([]byte(token[i+1:]))]
	return ok && e.val.signs(token[:i])
}

// TestJWTCacheKeepsNoSignature: an entry holds the token's signing input,
// a copy that shares no memory with the request, and its signature only
// as a SHA-256.
func TestJWTCacheKeepsNoSignature(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{})
	tok := sign(t, f.keys[jose.EdDSA], "at+jwt", testClaims(f.clock.Now()))
	_, err := f.v.VerifyAccessToken(t.Context(), tok)
	require.NoError(t, err)
	i := strings.LastIndexByte(tok, '.')
	f.v.cache.c.mu.RLock()
	defer f.v.cache.c.mu.RUnlock()
	require.Len(t, f.v.cache.c.m, 1)
	for key, e := range f.v.cache.c.m {
		assert.Equal(t, cacheKey(sha256.Sum256([]byte(tok[i+1:]))), key)
		assert.Equal(t, tok[:i], e.val.input)
		assert.NotContains(t, e.val.input, tok[i+1:])
		assert.NotSame(t, unsafe.StringData(tok), unsafe.StringData(e.val.input), "a copy, not the request's memory")
	}
}

// TestJWTCacheKeepsALongSigningInputAsItsHash: past maxKeptInput an entry
// holds the SHA-256 of the signing input, not the input, and a hit still
// takes the whole token.
func TestJWTCacheKeepsALongSigningInputAsItsHash(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{})
	claims := testClaims(f.clock.Now())
	claims["scope"] = "read write " + strings.Repeat("extra ", 200)
	tok := sign(t, f.keys[jose.EdDSA], "at+jwt", claims)
	i := strings.LastIndexByte(tok, '.')
	require.Greater(t, i, maxKeptInput)
	_, err := f.v.VerifyAccessToken(t.Context(), tok)
	require.NoError(t, err)
	f.v.cache.c.mu.RLock()
	for _, e := range f.v.cache.c.m {
		assert.Empty(t, e.val.input)
		assert.Equal(t, cacheKey(sha256.Sum256([]byte(tok[:i]))), e.val.inputSum)
	}
	f.v.cache.c.mu.RUnlock()
	info, ok := f.v.known(tok)
	require.True(t, ok)
	assert.Len(t, info.Scopes, 202)
	_, ok = f.v.known(tok[:i-1] + string(tok[i-1]^1) + tok[i:])
	assert.False(t, ok, "the payload changed by one character")

	short := sign(t, f.keys[jose.EdDSA], "at+jwt", testClaims(f.clock.Now()))
	j := strings.LastIndexByte(short, '.')
	for name, forged := range map[string]string{
		"the long token's signature under a short input": short[:j] + tok[i:],
		"the signature after a dot":                      tok[i:],
		"the signature after two dots":                   "." + tok[i:],
		"the signature alone":                            tok[i+1:],
	} {
		_, ok = f.v.known(forged)
		assert.False(t, ok, name)
		_, err := f.v.VerifyAccessToken(t.Context(), forged)
		assert.ErrorIs(t, err, ErrInvalidToken, name)
		assert.Equal(t, http.StatusUnauthorized, serveWith(protect(t, f.v, benchOK, "read"), "Bearer "+forged, "").Code, name)
	}
}

// TestJWTCacheHitIsTheWholeToken: a cached signature under another
// header or payload, or a cached token with something added or taken
// away, is not a hit; each is verified afresh and refused.
func TestJWTCacheHitIsTheWholeToken(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{})
	now := f.clock.Now()
	tok := sign(t, f.keys[jose.ES256], "at+jwt", testClaims(now))
	wider := testClaims(now)
	wider["scope"] = "read write admin"
	other := sign(t, f.keys[jose.ES256], "at+jwt", wider)
	_, err := f.v.VerifyAccessToken(t.Context(), tok)
	require.NoError(t, err)
	i, j := strings.LastIndexByte(tok, '.'), strings.LastIndexByte(other, '.')
	for name, forged := range map[string]string{
		"the cached signature under another payload": other[:j] + tok[i:],
		"the payload changed by one character":       tok[:i-1] + string(tok[i-1]^1) + tok[i:],
		"a character added to the signature":         tok + "A",
		"the last character of the signature gone":   tok[:len(tok)-1],
		"the signature alone":                        tok[i+1:],
		"the signature after a dot":                  tok[i:],
		"the header gone":                            tok[strings.IndexByte(tok, '.')+1:],
	} {
		_, ok := f.v.known(forged)
		assert.False(t, ok, name)
		_, err := f.v.VerifyAccessToken(t.Context(), forged)
		assert.ErrorIs(t, err, ErrInvalidToken, name)
	}
	info, ok := f.v.known(tok)
	require.True(t, ok)
	assert.Equal(t, []string{"read", "write"}, info.Scopes)
}
