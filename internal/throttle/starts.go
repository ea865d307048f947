package throttle

import (
	"sync"
	"time"
)

// Starts bounds the authorization requests (RFC 6749 §4.1.1) that
// anonymous traffic can make the server keep: every request started is kept
// in the store until it is decided or its lifetime (authserver's Lifetimes.AuthRequest)
// passes. It has two limits:
//
//   - per source address ([AddressKey]: IPv4 /32, IPv6 /64): at most
//     perAddress starts within a fixed addressWindow, counted on an
//     [addressTable] like the one of [Failures];
//   - server wide: at most serverWide starts within any serverWindow, the
//     pending-request lifetime, so that many addresses together cannot fill
//     the store either, even with more addresses than the per-address
//     table holds. It is counted in startBucketCount+1 buckets of
//     serverWindow/startBucketCount each, which together cover at least
//     the last serverWindow: every start within it is counted, and one is
//     forgotten at most one bucket late.
//
// It counts starts, not the live records in the store: a request that is
// decided early still counts until its window passes, so the server-wide
// cap is an upper bound on the pending requests that starts can create,
// and must be sized for the peak rate of starts times the lifetime.
// It is safe for concurrent use.
type Starts struct {
	perAddress int32 // <= 0: no per-address limit
	serverWide int64 // <= 0: no server-wide cap
	now        func() time.Time
	epoch      time.Time

	mu     sync.Mutex
	table  addressTable[struct{}]
	server startBuckets
}

// Refusal says why [Starts.Allow] refused a start.
type Refusal int

const (
	Allowed        Refusal = iota // not refused: the start is counted
	AddressLimited                // the source address is over its limit
	ServerFull                    // the server-wide cap is reached
)

// startBucketCount is how many buckets divide the server-wide window.
const startBucketCount = 16

// startBuckets counts starts in consecutive intervals of width nanoseconds;
// the cell for interval i is cells[i % len(cells)].
type startBuckets struct {
	width int64
	cells [startBucketCount + 1]struct{ interval, n int64 }
}

// NewStarts returns a limiter of perAddress starts per address within
// addressWindow and serverWide starts within serverWindow. A limit <= 0 (or
// its window <= 0) turns that limit off. now is the clock, time.Now outside
// tests.
func NewStarts(perAddress int, addressWindow time.Duration, serverWide int, serverWindow time.Duration, now func() time.Time) *Starts {
	l := &Starts{now: now, epoch: now()}
	if perAddress > 0 && addressWindow > 0 {
		l.perAddress = clampCount(perAddress)
		l.table = newAddressTable[struct{}](addressWindow, addressTableCap)
	}
	if serverWide > 0 && serverWindow > 0 {
		l.serverWide = int64(serverWide)
		l.server.width = max(int64((serverWindow+startBucketCount-1)/startBucketCount), 1)
	}
	return l
}

// Allow counts one authorization request started from addr (as the caller
// determined it, as for [Failures.Blocked]), or refuses it and says why and
// how long until a retry can succeed. A refused start is not counted.
// anonymous says whether the request comes from someone not signed in:
// only those count towards, and are refused by, the server-wide cap, so
// that anonymous traffic cannot lock signed-in users out.
func (l *Starts) Allow(addr string, anonymous bool) (time.Duration, Refusal) {
	var buf [1 + maxAddressKey]byte
	var key []byte
	if l.perAddress > 0 {
		key = appendAddressKey(buf[:0], addr)
	}
	now := int64(l.now().Sub(l.epoch))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perAddress > 0 {
		if i := l.table.live(key, now); i >= 0 && l.table.heads[i].total >= l.perAddress {
			return time.Duration(l.table.ends(i) - now), AddressLimited
		}
	}
	if l.serverWide > 0 && anonymous {
		if n, frees := l.server.count(now); n >= l.serverWide {
			return time.Duration(frees - now), ServerFull
		}
		l.server.add(now)
	}
	if l.perAddress > 0 {
		increment(&l.table.heads[l.table.row(key, now)].total)
	}
	return 0, Allowed
}

// count returns the starts in the buckets that cover the last window at now,
// and when the oldest of them stops counting.
func (b *startBuckets) count(now int64) (n, frees int64) {
	cur := floorDiv(now, b.width)
	oldest := cur
	for _, c := range b.cells {
		if c.n > 0 && c.interval > cur-int64(len(b.cells)) {
			n += c.n
			oldest = min(oldest, c.interval)
		}
	}
	return n, (oldest + int64(len(b.cells))) * b.width
}

// add counts one start at now.
func (b *startBuckets) add(now int64) {
	cur := floorDiv(now, b.width)
	c := &b.cells[(cur%int64(len(b.cells))+int64(len(b.cells)))%int64(len(b.cells))]
	if c.interval != cur {
		c.interval, c.n = cur, 0
	}
	c.n++
}

// floorDiv divides rounding towards minus infinity, so that times before
// the epoch (a clock set back) still fall in consecutive intervals.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
