// Package throttle counts what anonymous clients make an authorization
// server do: failed authentications and started authorization requests.
//
// # Failed authentications
//
// Failed client authentications (RFC 6749 §2.3) and failed password checks
// (RFC 6749 §4.3.2: the endpoint "MUST" be protected "against brute force
// attacks"; §10.10) are counted by [Failures]. The design:
//
//   - Counts are kept per source address, exactly, in a map keyed by
//     [AddressKey]: an IPv4 address, or the /64 prefix of an IPv6 address.
//     Each address's row holds, for one fixed window that starts at the
//     address's first failure, the failures of existing identifiers (a
//     kind prefix and a client ID or username) from it, the counts of the
//     first idSlots of those identifiers, and the failures for identifiers
//     that do not exist (unknown client IDs). Identifiers are stored as
//     64-bit hashes under a per-server random seed, cut to maxThrottleID
//     bytes first.
//   - An identifier is blocked from an address once its own count there
//     reaches the limit, or once the address's failures of existing
//     identifiers reach addressLimitFactor times the limit (which bounds
//     guessing many identifiers, those without a slot included). Either
//     lasts until the address's window ends.
//   - A failure for an identifier that does not exist is counted by
//     [Failures.FailUnknown] apart: it blocks, by [Failures.BlockedUnknown],
//     only further unknown identifiers from that address, never an
//     existing one.
//   - The map holds at most addressTableCap addresses. When it is full, a
//     new address takes the row of the first expired one among
//     evictionSample random rows, or else of the one with the fewest
//     failures (see [addressTable.free]).
//
// Why this meets what kunci needs (issue 13):
//
//  1. Failures from other addresses never block a correct credential:
//     nothing is shared between addresses, so a flood of any number of
//     distinct identifiers or addresses can only evict rows, which forgets
//     failures and never blocks.
//  2. A failure for an unknown client ID never counts against a real
//     client, not even from the same address: it has its own count.
//  3. Memory is bounded by addressTableCap rows of fixed size (keys are cut
//     to maxAddressKey bytes), whatever the keys.
//  4. Guessing stays throttled: each identifier with a slot gets at most
//     the limit of failures per window from one address, all existing
//     identifiers together at most addressLimitFactor times the limit, and
//     unknown identifiers as many again. One address has one row,
//     which its own flood blocks rather than evicts, so it cannot flush its
//     counts. Evicting a row needs new addresses, and each new address
//     brings its own budget of failures anyway; rows with the most failures
//     are evicted last.
//
// The price: everyone behind one address (a NAT) shares its total, so
// addressLimitFactor times the limit of failures from inside a NAT block
// the whole address for a window; and, as with any fixed window, a burst that straddles the end
// of a window gets up to twice the limit.
//
// # Authorization requests started
//
// Authorization requests started are limited by [Starts] (starts.go), per
// address on the same kind of table and server wide.
package throttle

import (
	"hash/maphash"
	"math"
	"sync"
	"time"
)

const (
	// idSlots is how many identifiers one address row counts on their own.
	idSlots = 8
	// addressLimitFactor times the failure limit is the limit for all
	// failures from one address.
	addressLimitFactor = 10
	// maxThrottleID bounds the attacker-chosen identifier that is hashed.
	maxThrottleID = 256
)

// Failures counts failed authentications per identifier and source
// address, and per source address, as the comment at the top of this file
// describes. It is safe for concurrent use.
type Failures struct {
	limit     int32 // per identifier and address; <= 0: off
	addrLimit int32 // per address
	seed      maphash.Seed
	now       func() time.Time
	epoch     time.Time

	mu    sync.Mutex
	table addressTable[idCounts]
}

// idCounts is what an address row counts; the row's head total counts
// both kinds of failure and decides which rows are evicted first.
type idCounts struct {
	ids     [idSlots]idCount
	known   int32 // failures of existing identifiers
	unknown int32 // failures for identifiers that do not exist
}

// idCount is one identifier's failures; n == 0 marks a free slot.
type idCount struct {
	hash uint64
	n    int32
}

// NewFailures returns a throttle that blocks an identifier from an
// address after limit failures within window, and an address after
// addressLimitFactor × limit failures. A limit <= 0 (or a window <= 0)
// turns it off. now is the clock, time.Now outside tests.
func NewFailures(limit int, window time.Duration, now func() time.Time) *Failures {
	t := &Failures{seed: maphash.MakeSeed(), now: now, epoch: now()}
	if limit > 0 && window > 0 {
		t.limit = clampCount(limit)
		t.addrLimit = clampCount(min(limit, math.MaxInt32/addressLimitFactor) * addressLimitFactor)
		t.table = newAddressTable[idCounts](window, addressTableCap)
	}
	return t
}

// Blocked reports whether id may not be tried from addr now, and for how
// long that lasts. id carries the caller's kind prefix ("c:" + client ID,
// "u:" + username); addr is the source address as the caller determined
// it (the remote host, or what the host application's ClientIP hook says). It does not allocate.
func (t *Failures) Blocked(id, addr string) (time.Duration, bool) {
	if t.limit <= 0 {
		return 0, false
	}
	var buf [1 + maxAddressKey]byte
	key := appendAddressKey(buf[:0], addr)
	h := t.hash(id)
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.table.find(key)
	if i < 0 {
		return 0, false // the common case: no failures, no need of the clock
	}
	now := t.clock()
	if t.table.heads[i].expired(now, t.table.window) {
		return 0, false
	}
	ids := &t.table.extras[i]
	own := int32(0)
	if c := ids.find(h); c != nil {
		own = c.n
	}
	if own < t.limit && ids.known < t.addrLimit {
		return 0, false
	}
	return time.Duration(t.table.ends(i) - now), true
}

// BlockedUnknown reports whether identifiers that do not exist (an unknown
// client ID) may not be tried from addr now, and for how long. The caller
// asks it once it knows the identifier does not exist.
func (t *Failures) BlockedUnknown(addr string) (time.Duration, bool) {
	if t.limit <= 0 {
		return 0, false
	}
	var buf [1 + maxAddressKey]byte
	key := appendAddressKey(buf[:0], addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.table.find(key)
	if i < 0 {
		return 0, false
	}
	now := t.clock()
	if t.table.heads[i].expired(now, t.table.window) || t.table.extras[i].unknown < t.addrLimit {
		return 0, false
	}
	return time.Duration(t.table.ends(i) - now), true
}

// Fail counts a failed authentication of an existing identifier id (a
// client, or a username whose password was wrong) from addr.
func (t *Failures) Fail(id, addr string) {
	if t.limit <= 0 {
		return
	}
	var buf [1 + maxAddressKey]byte
	key := appendAddressKey(buf[:0], addr)
	h := t.hash(id)
	now := t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.table.row(key, now)
	increment(&t.table.heads[i].total)
	ids := &t.table.extras[i]
	increment(&ids.known)
	if c := ids.claim(h); c != nil {
		increment(&c.n)
	}
}

// FailUnknown counts a failed authentication from addr for an identifier
// that does not exist (an unknown client ID), apart from the failures of
// existing identifiers, so that guessing IDs cannot block a real client.
func (t *Failures) FailUnknown(addr string) {
	if t.limit <= 0 {
		return
	}
	var buf [1 + maxAddressKey]byte
	key := appendAddressKey(buf[:0], addr)
	now := t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.table.row(key, now)
	increment(&t.table.heads[i].total)
	increment(&t.table.extras[i].unknown)
}

func (t *Failures) hash(id string) uint64 {
	return maphash.String(t.seed, id[:min(len(id), maxThrottleID)])
}

// clock returns the time in nanoseconds since t was made, on the monotonic
// clock when now provides one.
func (t *Failures) clock() int64 {
	return int64(t.now().Sub(t.epoch))
}

// find returns the count of the identifier with hash h, or nil if it has no
// slot in this window.
func (c *idCounts) find(h uint64) *idCount {
	for i := range c.ids {
		if s := &c.ids[i]; s.n > 0 && s.hash == h {
			return s
		}
	}
	return nil
}

// claim returns the count of the identifier with hash h, taking a free slot
// for it if it has none, or nil if every slot is taken.
func (c *idCounts) claim(h uint64) *idCount {
	if s := c.find(h); s != nil {
		return s
	}
	for i := range c.ids {
		if s := &c.ids[i]; s.n == 0 {
			s.hash = h
			return s
		}
	}
	return nil
}
