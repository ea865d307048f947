package authserver

import (
	"net"
	"net/http"
	"time"

	"github.com/patrickmn/go-cache"
)

// maxThrottleKeys bounds the throttle table.
const maxThrottleKeys = 100_000

// maxKeyPart bounds the attacker-chosen part of a throttle key.
const maxKeyPart = 256

// throttleKey builds a key from a kind, an identifier and an address,
// truncating the identifier so that keys stay small.
func throttleKey(kind, id, addr string) string {
	if len(id) > maxKeyPart {
		id = id[:maxKeyPart]
	}
	return kind + "\x00" + id + "\x00" + addr
}

// throttle counts failures per key within a fixed window and refuses further
// attempts once a limit is reached. Keys combine what is attacked (a client ID
// or a username) with the source address, so that one noisy address cannot
// lock a client out for everyone and one NAT does not lock out all of its
// clients.
type throttle struct {
	limit   int // <= 0: off
	window  time.Duration
	maxKeys int
	counts  *cache.Cache
}

func newThrottle(limit int, window time.Duration) *throttle {
	t := &throttle{limit: limit, window: window, maxKeys: maxThrottleKeys}
	if limit > 0 {
		t.counts = cache.New(window, 0)
	}
	return t
}

// blocked reports whether key has reached the limit, and for how long it
// stays blocked.
func (t *throttle) blocked(key string) (time.Duration, bool) {
	if t.limit <= 0 {
		return 0, false
	}
	v, exp, ok := t.counts.GetWithExpiration(key)
	if !ok || v.(int) < t.limit {
		return 0, false
	}
	return time.Until(exp), true
}

// fail counts a failure for key.
func (t *throttle) fail(key string) {
	if t.limit <= 0 {
		return
	}
	if _, err := t.counts.IncrementInt(key, 1); err == nil {
		return
	}
	// A new key. Attackers choose client IDs and usernames, so the table is
	// bounded: finished windows are dropped first, and when it is still full
	// new keys go uncounted (authentication itself still applies).
	if t.counts.ItemCount() >= t.maxKeys {
		t.counts.DeleteExpired()
		if t.counts.ItemCount() >= t.maxKeys {
			return
		}
	}
	if t.counts.Add(key, 1, t.window) != nil {
		t.counts.IncrementInt(key, 1)
	}
}

// sourceIP returns the throttling address of r.
func (s *Server) sourceIP(r *http.Request) string {
	if s.cfg.ClientIP != nil {
		return s.cfg.ClientIP(r)
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
