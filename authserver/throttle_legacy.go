package authserver

import (
	"hash/maphash"
	"sync"
	"time"
)

// This file holds the count-min throttle that the call sites still use. It
// is replaced by [failureThrottle] and [startLimiter] (throttle.go,
// throttle_start.go) and is to be deleted, with throttleKey, once
// clientauth.go, grant_password.go, authorize.go and server.go use those.
// It has the defect issue 13 describes: one address flooding random keys
// fills every bucket and then blocks every key.

// throttle counts events per key within a fixed window and refuses further
// attempts once a limit is reached, in a fixed-size count-min sketch of two
// rows: a key is throttled when both of its buckets reach the limit.
type throttle struct {
	limit  int // <= 0: off
	window time.Duration
	seeds  [2]maphash.Seed

	mu   sync.Mutex
	rows *[2][throttleBuckets]bucket // nil when off
}

// throttleBuckets is the size of each row: 2 × 16384 buckets of 16 bytes.
const throttleBuckets = 1 << 14

// bucket counts failures since start.
type bucket struct {
	start int64 // Unix nanoseconds
	count int64
}

func newThrottle(limit int, window time.Duration) *throttle {
	t := &throttle{limit: limit, window: window, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
	if limit > 0 {
		t.rows = new([2][throttleBuckets]bucket)
	}
	return t
}

// buckets returns the two buckets of key. The caller holds t.mu.
func (t *throttle) buckets(key string) [2]*bucket {
	var b [2]*bucket
	for i := range b {
		b[i] = &t.rows[i][maphash.String(t.seeds[i], key)%throttleBuckets]
	}
	return b
}

// blocked reports whether key has reached the limit, and for how long it
// stays blocked.
func (t *throttle) blocked(key string) (time.Duration, bool) {
	if t.limit <= 0 {
		return 0, false
	}
	now := time.Now().UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	var until int64
	for _, b := range t.buckets(key) {
		end := b.start + int64(t.window)
		if now >= end || b.count < int64(t.limit) {
			return 0, false
		}
		until = max(until, end)
	}
	return time.Duration(until - now), true
}

// count records one event (a failure, or a started request) for key.
func (t *throttle) count(key string) {
	if t.limit <= 0 {
		return
	}
	now := time.Now().UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range t.buckets(key) {
		if now >= b.start+int64(t.window) {
			b.start, b.count = now, 0
		}
		b.count++
	}
}

// maxKeyPart bounds the attacker-chosen part of a throttle key.
const maxKeyPart = 256

// throttleKey builds a key from a kind, an identifier and an address,
// truncating the identifier so that hashing stays cheap.
func throttleKey(kind, id, addr string) string {
	if len(id) > maxKeyPart {
		id = id[:maxKeyPart]
	}
	return kind + "\x00" + id + "\x00" + addr
}
