package throttle

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testClock is a clock that moves only when told to, safe for concurrent
// use.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *testClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// ipv4 returns the i-th address of 10.0.0.0/8 as a string.
func ipv4(i int) string {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()
}

// ipv6 returns an address in the i-th /64 of 2001:db8::/32.
func ipv6(i int) string {
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i), 15: 1}).String()
}

func assertNotBlocked(t *testing.T, th *Failures, id, addr string) {
	t.Helper()
	wait, blocked := th.Blocked(id, addr)
	assert.False(t, blocked, "%s from %s", id, addr)
	assert.Zero(t, wait, "%s from %s", id, addr)
}

func assertBlockedFor(t *testing.T, th *Failures, id, addr string, want time.Duration) {
	t.Helper()
	wait, blocked := th.Blocked(id, addr)
	assert.True(t, blocked, "%s from %s", id, addr)
	assert.Equal(t, want, wait, "%s from %s", id, addr)
}

// Property 1 of issue 13: millions of failures for other client IDs,
// usernames and addresses never block a correct credential from another
// address, not even failures for the victim's own client ID and username
// from a million other addresses.
func TestFailuresFloodNeverBlocksAnotherAddress(t *testing.T) {
	clock := newTestClock()
	th := NewFailures(20, time.Minute, clock.now)
	const client, user = "c:svc", "u:alice"
	const clientAddr, userAddr = "192.0.2.1", "2001:db8:aaaa:1::5"
	// The victims mistyped a few times themselves.
	for range 5 {
		th.Fail(client, clientAddr)
		th.Fail(user, userAddr)
	}
	const flood = 1 << 18 / floodScale // six keys each: 1.5 million
	for i := range flood {
		th.Fail("c:junk"+strconv.Itoa(i), "198.51.100.7")       // random client IDs, one address
		th.Fail("u:junk"+strconv.Itoa(i), "2001:db8:ffff:1::1") // random usernames, one address
		th.FailUnknown("203.0.113.9")                           // unknown client IDs, one address
		th.Fail(client, ipv4(i))                                // the victim's ID, many addresses
		th.Fail(user, ipv6(i))
		th.FailUnknown(ipv6(flood + i)) // unknown client IDs, many addresses
	}
	clock.advance(30 * time.Second)
	assertNotBlocked(t, th, client, clientAddr)
	assertNotBlocked(t, th, user, userAddr)
	assertNotBlocked(t, th, client, "192.0.2.200")
	assertNotBlocked(t, th, user, "2001:db8:aaaa:2::5")
	// The throttle is on: the flooding addresses are blocked.
	assertBlockedFor(t, th, client, "198.51.100.7", 30*time.Second)
	assertBlockedFor(t, th, user, "2001:db8:ffff:1::99", 30*time.Second)
	assertNotBlocked(t, th, client, "203.0.113.9") // unknown IDs never block a real client
	wait, blocked := th.BlockedUnknown("203.0.113.9")
	assert.True(t, blocked)
	assert.Equal(t, 30*time.Second, wait)
}

// Property 2 of issue 13: failures for an unknown client ID, reported with
// FailUnknown, never count against a real client, not even from the same
// address; they block only further unknown IDs from that address.
func TestFailuresUnknownClientIDCountsOnlyAgainstAddress(t *testing.T) {
	clock := newTestClock()
	th := NewFailures(3, time.Minute, clock.now)
	const addr = "198.51.100.7"
	for range 3*addressLimitFactor - 1 {
		th.FailUnknown(addr)
	}
	_, blocked := th.BlockedUnknown(addr)
	assert.False(t, blocked)
	th.FailUnknown(addr)
	wait, blocked := th.BlockedUnknown(addr)
	assert.True(t, blocked)
	assert.Equal(t, time.Minute, wait)
	_, blocked = th.BlockedUnknown("192.0.2.1")
	assert.False(t, blocked)
	// The real client is not affected, and its own failures count as one each.
	assertNotBlocked(t, th, "c:svc", addr)
	th.Fail("c:svc", addr)
	th.Fail("c:svc", addr)
	assertNotBlocked(t, th, "c:svc", addr)
	th.Fail("c:svc", addr)
	assertBlockedFor(t, th, "c:svc", addr, time.Minute)
	clock.advance(time.Minute)
	assertNotBlocked(t, th, "c:svc", addr)
	_, blocked = th.BlockedUnknown(addr)
	assert.False(t, blocked)
}

// Property 3 of issue 13: memory stays bounded whatever the keys. Distinct
// identifiers add nothing to an address's row, distinct addresses never take
// the table beyond addressTableCap rows, and long keys are cut.
func TestFailuresMemoryBounded(t *testing.T) {
	clock := newTestClock()
	th := NewFailures(20, time.Minute, clock.now)
	for i := range 1 << 20 / floodScale {
		th.Fail("u:"+strconv.Itoa(i), "198.51.100.7")
	}
	assert.Len(t, th.table.heads, 1)
	for i := range 1 << 19 / floodScale {
		th.Fail("c:svc", ipv6(i))
		if i%(1<<12) == 0 {
			clock.advance(time.Second) // some rows expire on the way
		}
	}
	th.Fail(strings.Repeat("u", 1<<20), strings.Repeat("a", 1<<20))
	th.FailUnknown(strings.Repeat("b", 1<<20))
	require.Len(t, th.table.heads, addressTableCap)
	assert.Len(t, th.table.extras, addressTableCap)
	assert.Len(t, th.table.keys, addressTableCap)
	assert.Len(t, th.table.index, addressTableCap)
	for key, i := range th.table.index {
		assert.Equal(t, key, th.table.keys[i])
		assert.LessOrEqual(t, len(key), 1+maxAddressKey)
	}
	// The figure in addressTableCap's comment: rows of fixed size.
	row := unsafe.Sizeof(rowHead{}) + unsafe.Sizeof(idCounts{}) + unsafe.Sizeof("")
	assert.LessOrEqual(t, row, uintptr(176))
}

// Property 4 of issue 13: after limit failures for one identifier from one
// address, that pair is blocked until the window passes, and nothing else
// is.
func TestFailuresBlocksPairUntilWindowPasses(t *testing.T) {
	clock := newTestClock()
	th := NewFailures(3, time.Minute, clock.now)
	const addr = "198.51.100.7"
	th.Fail("c:svc", addr)
	clock.advance(10 * time.Second)
	th.Fail("c:svc", addr)
	assertNotBlocked(t, th, "c:svc", addr)
	th.Fail("c:svc", addr)
	assertBlockedFor(t, th, "c:svc", addr, 50*time.Second) // the window began with the first failure
	assertNotBlocked(t, th, "u:svc", addr)                 // kinds are apart
	assertNotBlocked(t, th, "c:other", addr)
	assertNotBlocked(t, th, "c:svc", "198.51.100.8")
	clock.advance(49 * time.Second)
	assertBlockedFor(t, th, "c:svc", addr, time.Second)
	clock.advance(time.Second)
	assertNotBlocked(t, th, "c:svc", addr)
	// A new window counts from zero.
	th.Fail("c:svc", addr)
	th.Fail("c:svc", addr)
	assertNotBlocked(t, th, "c:svc", addr)
	th.Fail("c:svc", addr)
	assertBlockedFor(t, th, "c:svc", addr, time.Minute)
}

// Property 4 of issue 13: one address that floods junk identifiers gets its
// whole address blocked at addressLimitFactor times the limit, including
// the identifiers it did not try.
func TestFailuresAddressFloodBlocksAddress(t *testing.T) {
	clock := newTestClock()
	th := NewFailures(3, time.Minute, clock.now)
	const addr = "2001:db8:1:2::7"
	for i := range 3*addressLimitFactor - 1 {
		// Every address of a /64 is the same source.
		th.Fail("u:junk"+strconv.Itoa(i), "2001:db8:1:2::"+strconv.FormatInt(int64(i+1), 16))
	}
	assertNotBlocked(t, th, "u:junk0", addr) // one failure, in its own slot
	th.Fail("u:junk0", addr)
	assertBlockedFor(t, th, "u:junk0", addr, time.Minute)
	assertBlockedFor(t, th, "u:alice", addr, time.Minute)
	assertBlockedFor(t, th, "c:svc", addr, time.Minute)
	assertNotBlocked(t, th, "u:alice", "2001:db8:1:3::7")
	clock.advance(time.Minute)
	assertNotBlocked(t, th, "u:alice", addr)
}

// Property 4 of issue 13: identifiers beyond the idSlots an address counts
// on their own are bounded by the address's failures of existing
// identifiers, addressLimitFactor times the limit; a correct credential
// without a slot is not blocked before that (a few mistyped usernames do
// not lock out a user who has not failed).
func TestFailuresIdentifiersBeyondSlotsShareTheLimit(t *testing.T) {
	clock := newTestClock()
	th := NewFailures(3, time.Minute, clock.now)
	const addr = "198.51.100.7"
	for i := range idSlots + 10 {
		th.Fail("u:typo"+strconv.Itoa(i), addr)
	}
	assertNotBlocked(t, th, "u:alice", addr)
	for i := idSlots + 10; i < 3*addressLimitFactor; i++ {
		th.Fail("u:typo"+strconv.Itoa(i), addr)
	}
	assertBlockedFor(t, th, "u:alice", addr, time.Minute) // the address total of 30
	assertBlockedFor(t, th, "u:typo0", addr, time.Minute)
	assertNotBlocked(t, th, "u:alice", "192.0.2.1")
}

// Property 4 of issue 13: an attacker with many addresses cannot flush the
// count of an address that is blocked: rows with the most failures are
// evicted last.
func TestFailuresManyAddressFloodKeepsBlockedAddressBlocked(t *testing.T) {
	clock := newTestClock()
	th := NewFailures(3, time.Minute, clock.now)
	const addr = "198.51.100.7"
	for range 3 {
		th.Fail("c:svc", addr)
	}
	for i := range 4 * addressTableCap {
		th.Fail("c:svc", ipv4(i))
	}
	require.Len(t, th.table.heads, addressTableCap)
	assertBlockedFor(t, th, "c:svc", addr, time.Minute)
}

func TestFailuresKeysAddressesByPrefix(t *testing.T) {
	clock := newTestClock()
	th := NewFailures(2, time.Minute, clock.now)
	th.Fail("c:svc", "::ffff:192.0.2.1")
	th.Fail("c:svc", "192.0.2.1")
	assertBlockedFor(t, th, "c:svc", "192.0.2.1", time.Minute)
	assertNotBlocked(t, th, "c:svc", "192.0.2.2") // IPv4 is keyed by /32
	th.Fail("c:svc", "2001:db8:1:2::1")
	th.Fail("c:svc", "[2001:db8:1:2:ffff::9]:443")
	assertBlockedFor(t, th, "c:svc", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", time.Minute)
	assertNotBlocked(t, th, "c:svc", "2001:db8:1:3::1")
	th.Fail("c:svc", "proxy-client-7") // a custom ClientIP value
	th.Fail("c:svc", "proxy-client-7")
	assertBlockedFor(t, th, "c:svc", "proxy-client-7", time.Minute)
	assertNotBlocked(t, th, "c:svc", "proxy-client-8")
}

func TestAddressKey(t *testing.T) {
	v4 := func(a, b, c, d byte) string { return string([]byte{'4', a, b, c, d}) }
	v6 := func(b ...byte) string { return "6" + string(b) }
	long := strings.Repeat("x", 1000)
	for in, want := range map[string]string{
		"192.0.2.1":                       v4(192, 0, 2, 1),
		"::ffff:192.0.2.1":                v4(192, 0, 2, 1),
		"[::ffff:192.0.2.1]:443":          v4(192, 0, 2, 1),
		"192.0.2.1:443":                   v4(192, 0, 2, 1),
		"0.0.0.0":                         v4(0, 0, 0, 0),
		"2001:db8:1:2:3:4:5:6":            v6(0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2),
		"2001:DB8:1:2::FFFF":              v6(0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2),
		"[2001:db8:1:2::1%eth0]:8080":     v6(0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2),
		"2001:0db8:aaaa:bbbb:cccc:dddd::": v6(0x20, 0x01, 0x0d, 0xb8, 0xaa, 0xaa, 0xbb, 0xbb),
		"[2001:db8::1]:443":               v6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0),
		"fe80::1%eth0":                    v6(0xfe, 0x80, 0, 0, 0, 0, 0, 0),
		"::1":                             v6(0, 0, 0, 0, 0, 0, 0, 0),
		"::":                              v6(0, 0, 0, 0, 0, 0, 0, 0),
		"client-7":                        "=client-7",
		"192.0.2.1/24":                    "=192.0.2.1/24",
		"192.0.2.256":                     "=192.0.2.256",
		"::ffff:192.0.2.1:443":            "=::ffff:192.0.2.1:443", // ambiguous, not an address
		"4\xc0\x00\x02\x01":               "=4\xc0\x00\x02\x01",    // cannot pass for an address's key
		"":                                "=",
		long:                              "=" + long[:maxAddressKey],
	} {
		assert.Equal(t, want, AddressKey(in), "AddressKey(%q)", in)
	}
}

func TestFailuresOff(t *testing.T) {
	for _, limit := range []int{0, -1} {
		th := NewFailures(limit, time.Minute, time.Now)
		for range 100 {
			th.Fail("c:svc", "192.0.2.1")
			th.FailUnknown("192.0.2.1")
		}
		assertNotBlocked(t, th, "c:svc", "192.0.2.1")
		assert.Empty(t, th.table.heads)
	}
	// A huge limit is as good as off, and does not wrap.
	th := NewFailures(math.MaxInt, time.Minute, time.Now)
	for range 100 {
		th.Fail("c:svc", "192.0.2.1")
	}
	assertNotBlocked(t, th, "c:svc", "192.0.2.1")
	th = NewFailures(3, 0, time.Now)
	for range 100 {
		th.Fail("c:svc", "192.0.2.1")
	}
	assertNotBlocked(t, th, "c:svc", "192.0.2.1")
}

// Identifiers are cut to maxThrottleID bytes before they are hashed, so a
// megabyte of username costs no more than 256 bytes.
func TestFailuresIdentifierIsBounded(t *testing.T) {
	clock := newTestClock()
	th := NewFailures(2, time.Minute, clock.now)
	prefix := "u:" + strings.Repeat("x", maxThrottleID-2)
	th.Fail(prefix+"first", "192.0.2.1")
	th.Fail(prefix+strings.Repeat("y", 1<<20), "192.0.2.1")
	assertBlockedFor(t, th, prefix, "192.0.2.1", time.Minute)
	assertNotBlocked(t, th, prefix[:maxThrottleID-1], "192.0.2.1")
}

// The call sites ask blocked on every authentication; it must not allocate,
// whether the address is unknown, counted or blocked.
func TestFailuresBlockedDoesNotAllocate(t *testing.T) {
	clock := newTestClock()
	th := NewFailures(3, time.Minute, clock.now)
	for range 3 {
		th.Fail("c:svc", "192.0.2.1")
		th.Fail("c:svc", "2001:db8:1:2::1")
	}
	for _, addr := range []string{"192.0.2.1", "2001:db8:1:2::1", "192.0.2.2", "[2001:db8:9::1]:443", "proxy-client-7"} {
		allocs := testing.AllocsPerRun(100, func() { th.Blocked("c:svc", addr) })
		assert.Zero(t, allocs, addr)
	}
	allocs := testing.AllocsPerRun(100, func() { th.Fail("c:svc", "192.0.2.1") })
	assert.Zero(t, allocs, "fail for a counted address")
}

// Concurrent use from several goroutines loses no count (run with -race).
func TestFailuresConcurrent(t *testing.T) {
	clock := newTestClock()
	const goroutines, each = 4, 100
	th := NewFailures(goroutines*each, time.Minute, clock.now)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				th.Blocked("c:svc", "192.0.2.1")
				if i == each-1 && g == 0 {
					continue // the last failure comes below
				}
				th.Fail("c:svc", "192.0.2.1")
				th.FailUnknown(ipv4(g*each + i))
				th.Fail("u:"+strconv.Itoa(i), "2001:db8::1")
			}
		})
	}
	wg.Wait()
	assertNotBlocked(t, th, "c:svc", "192.0.2.1")
	th.Fail("c:svc", "192.0.2.1")
	assertBlockedFor(t, th, "c:svc", "192.0.2.1", time.Minute)
}

// BenchmarkFailureThrottle measures the hot path of a failed
// authentication: blocked, then fail, over a thousand addresses.
func BenchmarkFailureThrottle(b *testing.B) {
	for _, family := range []struct {
		name string
		addr func(int) string
	}{{"ipv4", ipv4}, {"ipv6", ipv6}} {
		b.Run(family.name, func(b *testing.B) {
			th := NewFailures(1<<30, time.Minute, time.Now)
			addrs := make([]string, 1024)
			for i := range addrs {
				addrs[i] = family.addr(i)
				th.Fail("c:svc", addrs[i])
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				addr := addrs[i%len(addrs)]
				if _, blocked := th.Blocked("c:svc", addr); !blocked {
					th.Fail("c:svc", addr)
				}
				i++
			}
		})
	}
	// The path of every correct credential: blocked for an address without
	// failures, in a full table.
	b.Run("blocked_only", func(b *testing.B) {
		th := NewFailures(20, time.Minute, time.Now)
		for i := range addressTableCap {
			th.Fail("c:svc", ipv6(i))
		}
		b.ReportAllocs()
		for b.Loop() {
			th.Blocked("c:svc", "192.0.2.1")
		}
	})
	// A flood from ever new addresses: every failure takes a row from a full
	// table.
	b.Run("new_addresses", func(b *testing.B) {
		th := NewFailures(20, time.Minute, time.Now)
		addrs := make([]string, 4*addressTableCap)
		for i := range addrs {
			addrs[i] = ipv6(i)
		}
		for _, addr := range addrs[:addressTableCap] {
			th.Fail("c:svc", addr)
		}
		b.ReportAllocs()
		i := addressTableCap
		for b.Loop() {
			addr := addrs[i%len(addrs)]
			if _, blocked := th.Blocked("c:svc", addr); !blocked {
				th.Fail("c:svc", addr)
			}
			i++
		}
	})
}
