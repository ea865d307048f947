package throttle

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Sizes of the address tables behind [Failures] and [Starts].
const (
	// addressTableCap is how many source addresses one table tracks at a
	// time: at most about 250 bytes each (a row, its index entry and its
	// key), so a few megabytes when full.
	addressTableCap = 1 << 14
	// evictionSample is how many random rows a full table looks at to find
	// one to reuse.
	evictionSample = 8
	// maxAddressKey bounds the part of an address key taken from a string
	// that is not an IP address (a custom Limits.ClientIP value).
	maxAddressKey = 128
	// ipv6PrefixBits is the network prefix that stands for one IPv6 source:
	// a /64 is one subnet, whose 64-bit interface identifiers (RFC 4291
	// §2.5.1) its holder can pick at will.
	ipv6PrefixBits = 64
)

// AddressKey returns the key that counts addr as one source: an IPv4 address
// as itself (a /32), an IPv6 address by its /64 prefix, an IPv4-mapped IPv6
// address as the IPv4 address. An address with a port ("192.0.2.1:443",
// "[2001:db8::1]:443") counts as the address alone, so that a ClientIP that
// returns RemoteAddr does not make every connection a new source. Any other
// string (a custom Limits.ClientIP value) is used as is, cut to
// maxAddressKey bytes.
//
// The key is binary, one tag byte and the bits that count: "4" and 4 bytes,
// "6" and the 8 bytes of the /64, or "=" and the string. It is not text to
// show; a shared store may use it as part of its own keys.
func AddressKey(addr string) string {
	var buf [1 + maxAddressKey]byte
	return string(appendAddressKey(buf[:0], addr))
}

// appendAddressKey appends the [AddressKey] of addr to dst, without
// allocating when dst has room for 1+maxAddressKey bytes.
func appendAddressKey(dst []byte, addr string) []byte {
	ip, ok := parseSourceIP(addr)
	switch {
	case !ok:
		return append(append(dst, '='), addr[:min(len(addr), maxAddressKey)]...)
	case ip.Unmap().Is4():
		b := ip.Unmap().As4()
		return append(append(dst, '4'), b[:]...)
	default:
		b := ip.As16()
		return append(append(dst, '6'), b[:ipv6PrefixBits/8]...)
	}
}

// parseSourceIP parses addr as an IP address, with or without a port. It
// tries only what is made of the characters of one, so that a custom
// Limits.ClientIP value such as "proxy-client-7" costs no error value.
func parseSourceIP(addr string) (netip.Addr, bool) {
	if addr == "" || len(addr) > maxAddressKey {
		return netip.Addr{}, false
	}
	colons := 0
scan:
	for i := 0; i < len(addr); i++ {
		switch c := addr[i]; {
		case c == '%': // a zone, of any characters
			break scan
		case c == ':':
			colons++
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F', c == '.', c == '[', c == ']':
		default:
			return netip.Addr{}, false
		}
	}
	if addr[0] == '[' || colons == 1 { // "[v6]:port" or "v4:port"
		ap, err := netip.ParseAddrPort(addr)
		return ap.Addr(), err == nil
	}
	ip, err := netip.ParseAddr(addr)
	return ip, err == nil
}

// addressTable counts events per source address in fixed windows, keeping
// at most max rows whatever the keys. X is what a row holds besides the
// address's own count (per-identifier counts, for [Failures]). The
// fields a full table compares to pick a row to reuse are kept apart, in
// heads, so that the random rows it looks at are a few cache lines of a
// small array (BenchmarkFailureThrottle/new_addresses).
// It is not safe for concurrent use; its owner locks around it.
type addressTable[X any] struct {
	window int64 // nanoseconds, > 0
	max    int
	index  map[string]int32 // address key → row
	heads  []rowHead        // by row
	extras []X              // by row
	keys   []string         // by row
}

// rowHead is one address's count in the window that began at start. A row
// whose window has passed counts nothing; it is reset when its address is
// next counted, or reused for another address.
type rowHead struct {
	start int64 // nanoseconds since the owner's epoch
	total int32 // events from the address in this window
}

func newAddressTable[X any](window time.Duration, maxRows int) addressTable[X] {
	return addressTable[X]{window: int64(window), max: maxRows, index: make(map[string]int32)}
}

// find returns the row of key, or -1. The row may have expired.
func (t *addressTable[X]) find(key []byte) int32 {
	if i, ok := t.index[string(key)]; ok {
		return i
	}
	return -1
}

// live returns the row of key if its window has not passed at now, or -1.
func (t *addressTable[X]) live(key []byte, now int64) int32 {
	if i := t.find(key); i >= 0 && !t.heads[i].expired(now, t.window) {
		return i
	}
	return -1
}

// row returns the row that counts key at now: its own row, reset if its
// window has passed, or a fresh one, made room for if the table is full.
func (t *addressTable[X]) row(key []byte, now int64) int32 {
	i, ok := t.index[string(key)]
	if !ok {
		i = t.free(now)
		t.keys[i] = string(key)
		t.index[t.keys[i]] = i
	} else if !t.heads[i].expired(now, t.window) {
		return i
	}
	var zero X
	t.heads[i], t.extras[i] = rowHead{start: now}, zero
	return i
}

// ends returns when the window of row i ends.
func (t *addressTable[X]) ends(i int32) int64 {
	return t.heads[i].start + t.window
}

func (h *rowHead) expired(now, window int64) bool {
	return now >= h.start+window
}

// free returns a row to (re)use, removing its old address from the index.
// When the table is full it samples evictionSample rows and takes the first
// expired one, otherwise the one with the fewest events (the oldest of those
// on a tie): an address that has been counted up to a limit is the last to
// go, and an address that floods is blocked by its own count before it
// could push itself out (it has one row).
func (t *addressTable[X]) free(now int64) int32 {
	if len(t.heads) < t.max {
		var zero X
		t.heads, t.extras, t.keys = append(t.heads, rowHead{}), append(t.extras, zero), append(t.keys, "")
		return int32(len(t.heads) - 1)
	}
	victim := -1
	for range evictionSample {
		i := rand.IntN(len(t.heads))
		h := &t.heads[i]
		if h.expired(now, t.window) {
			victim = i
			break
		}
		if v := &t.heads[max(victim, 0)]; victim < 0 || h.total < v.total || h.total == v.total && h.start < v.start {
			victim = i
		}
	}
	delete(t.index, t.keys[victim])
	return int32(victim)
}

// increment adds one to a count, saturating rather than wrapping.
func increment(n *int32) {
	if *n < math.MaxInt32 {
		*n++
	}
}

// clampCount converts a configured limit to a count, so a huge limit cannot
// wrap.
func clampCount(limit int) int32 {
	return int32(min(limit, math.MaxInt32))
}
