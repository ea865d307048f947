package middleware

import (
	"crypto/sha256"
	"time"

	gocache "github.com/patrickmn/go-cache"
)

// tokenCache remembers verification results for a short while, keyed by the
// SHA-256 of the token so that the raw token is never kept. Each entry
// carries its own deadline, checked against the injected clock on every read,
// so an entry is never trusted past it whatever go-cache's own timer says.
// It holds at most max entries; when full, new results are simply not cached.
// It starts no goroutine.
type tokenCache struct {
	c   *gocache.Cache
	max int
	now func() time.Time
}

// cacheEntry is what tokenCache stores: a result and when it stops counting.
type cacheEntry struct {
	info   TokenInfo
	err    error // nil for a valid token, else an error wrapping ErrInvalidToken
	expiry time.Time
}

func newTokenCache(maxEntries int, now func() time.Time) *tokenCache {
	return &tokenCache{c: gocache.New(gocache.NoExpiration, 0), max: maxEntries, now: now}
}

func cacheKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return string(sum[:])
}

// get returns a live entry for key. The TokenInfo is a copy the caller owns.
func (tc *tokenCache) get(key string) (TokenInfo, error, bool) {
	v, ok := tc.c.Get(key)
	if !ok {
		return TokenInfo{}, nil, false
	}
	e := v.(*cacheEntry)
	if !tc.now().Before(e.expiry) {
		tc.c.Delete(key)
		return TokenInfo{}, nil, false
	}
	return e.info.clone(), e.err, true
}

// put stores a result until expiry. A deadline that is not in the future is
// not stored: go-cache treats a negative duration as "never expires".
func (tc *tokenCache) put(key string, info TokenInfo, err error, expiry time.Time) {
	ttl := expiry.Sub(tc.now())
	if ttl <= 0 {
		return
	}
	if tc.c.ItemCount() >= tc.max {
		tc.c.DeleteExpired()
		if tc.c.ItemCount() >= tc.max {
			return
		}
	}
	tc.c.Set(key, &cacheEntry{info: info.clone(), err: err, expiry: expiry}, ttl)
}
