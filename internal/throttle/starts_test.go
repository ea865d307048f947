package throttle

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func assertStart(t *testing.T, l *Starts, addr string, want Refusal, wait time.Duration) {
	t.Helper()
	gotWait, got := l.Allow(addr, true)
	assert.Equal(t, want, got, "allow(%q)", addr)
	assert.Equal(t, wait, gotWait, "allow(%q)", addr)
}

// One address (an IPv4 address, an IPv6 /64) may start perAddress requests
// per window; other addresses are not affected.
func TestStartsPerAddress(t *testing.T) {
	clock := newTestClock()
	l := NewStarts(3, time.Minute, 0, 0, clock.now)
	assertStart(t, l, "2001:db8:1:2::1", Allowed, 0)
	clock.advance(10 * time.Second)
	assertStart(t, l, "2001:db8:1:2::2", Allowed, 0)
	assertStart(t, l, "[2001:db8:1:2:ffff::3]:443", Allowed, 0)
	assertStart(t, l, "2001:db8:1:2::4", AddressLimited, 50*time.Second)
	assertStart(t, l, "2001:db8:1:3::1", Allowed, 0)
	assertStart(t, l, "192.0.2.1", Allowed, 0)
	clock.advance(49 * time.Second)
	assertStart(t, l, "2001:db8:1:2::1", AddressLimited, time.Second)
	clock.advance(time.Second)
	for range 3 {
		assertStart(t, l, "2001:db8:1:2::1", Allowed, 0)
	}
	assertStart(t, l, "2001:db8:1:2::1", AddressLimited, time.Minute)
}

// The server-wide cap counts every start within the pending-request
// lifetime, in buckets of a sixteenth of it; a start stops counting when
// its bucket leaves, at most one bucket after the lifetime.
func TestStartsServerWide(t *testing.T) {
	clock := newTestClock()
	l := NewStarts(0, 0, 5, 16*time.Minute, clock.now)
	assertStart(t, l, "192.0.2.1", Allowed, 0)
	assertStart(t, l, "192.0.2.2", Allowed, 0)
	clock.advance(5 * time.Minute)
	for _, addr := range []string{"192.0.2.3", "2001:db8::1", "client-7"} {
		assertStart(t, l, addr, Allowed, 0)
	}
	assertStart(t, l, "192.0.2.4", ServerFull, 12*time.Minute)
	clock.advance(12*time.Minute - time.Nanosecond)
	assertStart(t, l, "192.0.2.4", ServerFull, time.Nanosecond)
	clock.advance(time.Nanosecond) // the first two leave
	assertStart(t, l, "192.0.2.4", Allowed, 0)
	assertStart(t, l, "192.0.2.5", Allowed, 0)
	assertStart(t, l, "192.0.2.6", ServerFull, 5*time.Minute)
	// Someone signed in is neither refused nor counted by the cap.
	wait, refusal := l.Allow("192.0.2.7", false)
	assert.Equal(t, Allowed, refusal)
	assert.Zero(t, wait)
	assertStart(t, l, "192.0.2.6", ServerFull, 5*time.Minute)
}

// The property behind the server-wide cap: at no time have more than
// serverWide requests been allowed within the last window, so at most that
// many pending requests that starts created can be live, whatever the
// schedule.
func TestStartsServerWideBoundsPendingRequests(t *testing.T) {
	clock := newTestClock()
	const serverWide, window = 50, 15 * time.Minute
	l := NewStarts(1000, time.Minute, serverWide, window, clock.now)
	rng := rand.New(rand.NewPCG(13, 14))
	var allowed []time.Time
	refused := 0
	for range 20_000 {
		clock.advance(time.Duration(rng.Int64N(int64(20 * time.Second))))
		_, refusal := l.Allow(ipv4(rng.IntN(1000)), true)
		now := clock.now()
		if refusal == Allowed {
			allowed = append(allowed, now)
		} else {
			require.Equal(t, ServerFull, refusal)
			refused++
		}
		live := 0
		for _, at := range allowed[max(len(allowed)-serverWide-1, 0):] {
			if now.Sub(at) < window {
				live++
			}
		}
		require.LessOrEqual(t, live, serverWide)
	}
	assert.Positive(t, refused)
	assert.Greater(t, len(allowed), 20_000/4) // the cap leaves room once starts age out
}

// An address over its own limit is told so even when the server is full,
// and refused starts do not count towards either limit.
func TestStartsRefusedStartsDoNotCount(t *testing.T) {
	clock := newTestClock()
	l := NewStarts(2, time.Minute, 4, 16*time.Minute, clock.now)
	assertStart(t, l, "198.51.100.7", Allowed, 0)
	assertStart(t, l, "198.51.100.7", Allowed, 0)
	for range 100 {
		assertStart(t, l, "198.51.100.7", AddressLimited, time.Minute)
	}
	assertStart(t, l, "192.0.2.1", Allowed, 0)
	assertStart(t, l, "192.0.2.2", Allowed, 0)
	for range 100 {
		assertStart(t, l, "192.0.2.3", ServerFull, 17*time.Minute)
	}
	assertStart(t, l, "198.51.100.7", AddressLimited, time.Minute)
	clock.advance(time.Minute)
	assertStart(t, l, "198.51.100.7", ServerFull, 16*time.Minute)
	assertStart(t, l, "192.0.2.3", ServerFull, 16*time.Minute)
}

// Distinct addresses never take the per-address table beyond its cap; the
// server-wide cap keeps the store bounded when evictions forget addresses.
func TestStartsMemoryBounded(t *testing.T) {
	clock := newTestClock()
	l := NewStarts(1, time.Minute, 0, 0, clock.now)
	for i := range 1 << 18 / floodScale {
		_, refusal := l.Allow(ipv6(i), true)
		require.Equal(t, Allowed, refusal)
	}
	assert.Len(t, l.table.heads, addressTableCap)
	assert.Len(t, l.table.index, addressTableCap)
}

func TestStartsOff(t *testing.T) {
	l := NewStarts(0, time.Minute, -1, time.Hour, time.Now)
	for range 1000 {
		assertStart(t, l, "192.0.2.1", Allowed, 0)
	}
	assert.Empty(t, l.table.heads)
}

// Concurrent starts are counted exactly (run with -race).
func TestStartsConcurrent(t *testing.T) {
	clock := newTestClock()
	const serverWide, goroutines, each = 100, 8, 50
	l := NewStarts(10, time.Minute, serverWide, 15*time.Minute, clock.now)
	var allowed, addressLimited, serverFull atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				switch _, refusal := l.Allow(ipv4(g*1000+i%20), true); refusal {
				case Allowed:
					allowed.Add(1)
				case AddressLimited:
					addressLimited.Add(1)
				case ServerFull:
					serverFull.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(serverWide), allowed.Load())
	assert.Equal(t, int64(goroutines*each), allowed.Load()+addressLimited.Load()+serverFull.Load())
	assert.Positive(t, serverFull.Load())
}
