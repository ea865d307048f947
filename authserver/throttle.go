package authserver

import (
	"net"
	"net/http"
	"time"

	"github.com/patrickmn/go-cache"
)

// throttle counts failures per key within a fixed window and refuses further
// attempts once a limit is reached. Keys combine what is attacked (a client ID
// or a username) with the source address, so that one noisy address cannot
// lock a client out for everyone and one NAT does not lock out all of its
// clients.
type throttle struct {
	limit  int // <= 0: off
	window time.Duration
	counts *cache.Cache
}

func newThrottle(limit int, window time.Duration) *throttle {
	t := &throttle{limit: limit, window: window}
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
	if t.counts.Add(key, 1, t.window) != nil {
		t.counts.IncrementInt(key, 1)
	}
	// Drop finished windows now and then; the map otherwise only grows
	// with the keys of ongoing attacks.
	if t.counts.ItemCount() > 10000 {
		t.counts.DeleteExpired()
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
