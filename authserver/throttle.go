package authserver

import (
	"hash/maphash"
	"net"
	"net/http"
	"sync"
	"time"
)

// throttle counts events per key within a fixed window and refuses further
// attempts once a limit is reached: failed authentications, and authorization
// requests started. Keys combine what is attacked (a client ID
// or a username) with the source address, so that one noisy address cannot
// lock a client out for everyone and one NAT does not lock out all of its
// clients.
//
// Keys are chosen by attackers, so the table has a fixed size: a key counts
// in one bucket of each of two rows, picked by a per-server random hash, and
// is throttled when both of its buckets reach the limit (a count-min sketch).
// Flooding it with new keys cannot switch throttling off, and a collision can
// only make throttling early, never late.
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

// sourceIP returns the throttling address of r.
func (s *Server) sourceIP(r *http.Request) string {
	if s.cfg.Limits.ClientIP != nil {
		return s.cfg.Limits.ClientIP(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// retryAfterSeconds rounds d up to whole seconds, at least one.
func retryAfterSeconds(d time.Duration) int {
	secs := int((d + time.Second - 1) / time.Second)
	return max(secs, 1)
}
