package middleware

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/kunci/kunci/internal/digest"
)

// defaultCacheEntries bounds each verified-token cache when a config leaves
// MaxCacheEntries zero.
const defaultCacheEntries = 10000

// evictionSample is how many entries a full cache looks at to choose the
// one it drops.
const evictionSample = 8

// cacheKey is what a cache is keyed by: the SHA-256 of the token, or for
// the JWT verifier of its signature (see jwtCache), so that the credential
// itself is never kept.
type cacheKey [sha256.Size]byte

func keyOf(token string) cacheKey {
	return digest.SHA256(token)
}

// tokenCache remembers verification results of type V for a short while.
// Each entry carries its own deadline, checked against the injected clock on
// every read, so an entry is never trusted past it.
//
// It holds at most max entries. When it is full, a new result still goes
// in: it evicts an entry first, an expired one if it meets one among up to
// evictionSample entries (visited in Go's randomized map order), else the
// one of those that expires soonest. The work per insertion is therefore
// bounded, and a full cache keeps taking fresh results instead of refusing
// them. It is safe for concurrent use and starts no goroutine.
//
// Values are stored and returned as they are: a caller caching a TokenInfo
// clones it on the way in and on the way out, so that no request can change
// what the next one is told.
type tokenCache[V any] struct {
	mu  sync.RWMutex
	m   map[cacheKey]cachedResult[V]
	max int
	now func() time.Time
}

// cachedResult is what tokenCache stores: a result and when it stops
// counting.
type cachedResult[V any] struct {
	val    V
	expiry time.Time
}

func newTokenCache[V any](maxEntries int, now func() time.Time) *tokenCache[V] {
	return &tokenCache[V]{m: make(map[cacheKey]cachedResult[V]), max: maxEntries, now: now}
}

// get returns the live result for key. An expired entry is reported as
// missing and left for put to replace or evict.
func (tc *tokenCache[V]) get(key cacheKey) (V, bool) {
	tc.mu.RLock()
	e, ok := tc.m[key]
	tc.mu.RUnlock()
	if !ok || !tc.now().Before(e.expiry) {
		var zero V
		return zero, false
	}
	return e.val, true
}

// put stores val until expiry, evicting another entry when the cache is
// full. A deadline that is not in the future is not stored.
func (tc *tokenCache[V]) put(key cacheKey, val V, expiry time.Time) {
	now := tc.now()
	if !now.Before(expiry) {
		return
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if _, ok := tc.m[key]; !ok && len(tc.m) >= tc.max {
		tc.evict(now)
	}
	tc.m[key] = cachedResult[V]{val: val, expiry: expiry}
}

// evict removes one entry, as described on tokenCache; the caller holds mu
// for writing and the cache is not empty.
func (tc *tokenCache[V]) evict(now time.Time) {
	var victim cacheKey
	var soonest time.Time
	n := 0
	for k, e := range tc.m {
		if !now.Before(e.expiry) {
			delete(tc.m, k)
			return
		}
		if n == 0 || e.expiry.Before(soonest) {
			victim, soonest = k, e.expiry
		}
		n++
		if n == evictionSample {
			break
		}
	}
	delete(tc.m, victim)
}
