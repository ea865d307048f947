package middleware

import (
	"crypto/sha256"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// size returns the number of entries, live or expired.
func (tc *tokenCache[V]) size() int {
	tc.mu.RLock()
	defer tc.mu.RUnlock()
	return len(tc.m)
}

// hasSHA256Of reports whether there is an entry, live or expired, keyed by
// the SHA-256 of token.
func (tc *tokenCache[V]) hasSHA256Of(token string) bool {
	tc.mu.RLock()
	defer tc.mu.RUnlock()
	_, ok := tc.m[sha256.Sum256([]byte(token))]
	return ok
}

func TestTokenCacheNeverAnswersPastExpiry(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := newTokenCache[string](4, clock.Now)
	c.put(keyOf("a"), "A", clock.Now().Add(time.Second))
	got, ok := c.get(keyOf("a"))
	assert.True(t, ok)
	assert.Equal(t, "A", got)
	clock.Advance(time.Second)
	got, ok = c.get(keyOf("a"))
	assert.False(t, ok, "at the deadline the entry no longer counts")
	assert.Empty(t, got)

	// A deadline that is not in the future is not stored at all.
	c.put(keyOf("b"), "B", clock.Now())
	c.put(keyOf("c"), "C", clock.Now().Add(-time.Hour))
	assert.False(t, c.hasSHA256Of("b"))
	assert.False(t, c.hasSHA256Of("c"))
}

// TestTokenCacheEvictsRatherThanRefuses: a full cache keeps taking new
// results, never grows past its bound, and drops an expired entry first,
// else the one that expires soonest.
func TestTokenCacheEvictsRatherThanRefuses(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	now := clock.Now()
	c := newTokenCache[int](3, clock.Now)
	c.put(keyOf("late"), 1, now.Add(time.Hour))
	c.put(keyOf("soon"), 2, now.Add(time.Minute))
	c.put(keyOf("middle"), 3, now.Add(30*time.Minute))

	c.put(keyOf("new"), 4, now.Add(time.Hour))
	assert.Equal(t, 3, c.size())
	assert.False(t, c.hasSHA256Of("soon"), "the entry that expires soonest went")
	for _, k := range []string{"late", "middle", "new"} {
		assert.True(t, c.hasSHA256Of(k), k)
	}

	clock.Advance(45 * time.Minute) // "middle" is dead now, though not the soonest put
	c.put(keyOf("newer"), 5, clock.Now().Add(time.Hour))
	assert.False(t, c.hasSHA256Of("middle"), "the expired entry went")
	assert.True(t, c.hasSHA256Of("late"))
	assert.True(t, c.hasSHA256Of("new"))
	got, ok := c.get(keyOf("newer"))
	assert.True(t, ok)
	assert.Equal(t, 5, got)

	// Replacing an existing key never evicts another.
	c.put(keyOf("late"), 6, clock.Now().Add(time.Hour))
	assert.Equal(t, 3, c.size())
	assert.True(t, c.hasSHA256Of("new"))
	assert.True(t, c.hasSHA256Of("newer"))

	// Many more keys than fit: the bound holds and the newest is there.
	for i := range 1000 {
		c.put(keyOf(strconv.Itoa(i)), i, clock.Now().Add(time.Hour))
	}
	assert.Equal(t, 3, c.size())
	got, ok = c.get(keyOf("999"))
	assert.True(t, ok)
	assert.Equal(t, 999, got)
}
