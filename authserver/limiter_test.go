package authserver_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kunci/kunci/authserver"
)

// mapCounter is an authserver.Counter in a map whose windows never end, as
// several instances would share it. fail makes every call fail.
type mapCounter struct {
	mu     sync.Mutex
	counts map[string]int64
	fail   bool
}

func (c *mapCounter) Add(_ context.Context, key string, n int64, window time.Duration) (int64, time.Duration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return 0, 0, errors.New("counter down")
	}
	if len(key) > 128 {
		return 0, 0, errors.New("key too long")
	}
	if c.counts == nil {
		c.counts = map[string]int64{}
	}
	c.counts[key] += n
	if c.counts[key] == 0 {
		delete(c.counts, key)
	}
	return c.counts[key], window, nil
}

// Issue 14: with Limits.Counter two instances throttle together: failures
// counted by one block the pair at the other; unknown client IDs count only
// against the address; the identifier is not in the keys.
func TestSharedCounterThrottlesAcrossInstances(t *testing.T) {
	counter := &mapCounter{}
	shared := func(c *authserver.Config) {
		c.Limits.FailureLimit = 2
		c.Limits.Counter = counter
	}
	a, _ := newTestServer(t, shared)
	b, _ := newTestServer(t, shared)
	const addr = "198.51.100.20:1"
	assertOAuthError(t, postFormFrom(t, a, "/oauth/token", ccForm(), basic(serviceID, "wrong-secret-0123456789"), addr), 401, "invalid_client")
	assertOAuthError(t, postFormFrom(t, b, "/oauth/token", ccForm(), basic(serviceID, "wrong-secret-0123456789"), addr), 401, "invalid_client")
	assertThrottled(t, postFormFrom(t, a, "/oauth/token", ccForm(), basic(serviceID, servicePass), addr), 60)
	assertThrottled(t, postFormFrom(t, b, "/oauth/token", ccForm(), basic(serviceID, servicePass), addr), 60)
	tokenOK(t, postFormFrom(t, b, "/oauth/token", ccForm(), basic(serviceID, servicePass), "203.0.113.5:1"))

	const other = "198.51.100.21:1"
	for range 20 {
		assertOAuthError(t, postFormFrom(t, a, "/oauth/token", ccForm(), basic("ghost", "wrong-secret-0123456789"), other), 401, "invalid_client")
	}
	assertThrottled(t, postFormFrom(t, b, "/oauth/token", ccForm(), basic("ghost2", "wrong-secret-0123456789"), other), 60)
	tokenOK(t, postFormFrom(t, b, "/oauth/token", ccForm(), basic(serviceID, servicePass), other)) // unknown IDs never block a real client
	for key := range counter.counts {
		assert.NotContains(t, key, serviceID)
		assert.NotContains(t, key, "ghost")
	}

	// Authorization requests started count across instances too.
	startShared := func(c *authserver.Config) {
		c.Limits.AuthorizeRateLimit = 1
		c.Limits.MaxPendingAuthRequests = 2
		c.Limits.Counter = counter
	}
	counter.counts = nil
	a, _ = newTestServer(t, startShared)
	b, _ = newTestServer(t, startShared)
	start := func(srv http.Handler, addr string) int {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
		req.RemoteAddr = addr
		return serve(srv, req).Code
	}
	assert.Equal(t, http.StatusFound, start(a, "192.0.2.1:1"))
	assert.Equal(t, http.StatusTooManyRequests, start(b, "192.0.2.1:1"))
	assert.Equal(t, http.StatusFound, start(b, "192.0.2.2:1"))
	assert.Equal(t, http.StatusServiceUnavailable, start(a, "192.0.2.3:1"), "the server-wide cap of 2 is shared")
}

// A Counter that fails is never taken for "not throttled": the request
// fails with 503 temporarily_unavailable.
func TestSharedCounterFailureIs503(t *testing.T) {
	counter := &mapCounter{fail: true}
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Limits.Counter = counter })
	assertOAuthError(t, postForm(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass)), http.StatusServiceUnavailable, "temporarily_unavailable")
	assertOAuthError(t, postForm(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), basic(confidentialID, confidentialPass)), http.StatusServiceUnavailable, "temporarily_unavailable")
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	rec := serve(srv, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), "temporarily_unavailable")
}
