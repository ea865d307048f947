package store

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/patrickmn/go-cache"
)

// DefaultCleanupInterval is the cleanup interval of a [Memory] made by
// [NewMemory]: the time its janitor takes to pass once over every record, so
// that an expired record's memory is reclaimed at most this long after its
// ExpiresAt. At a million entries a pass costs about 1% of one core at this
// interval (BenchmarkSweepCPU).
const DefaultCleanupInterval = 2 * time.Second

// maxCacheTTL bounds the lifetimes handed to go-cache, which computes
// now+ttl in int64 nanoseconds (that overflows in the year 2262). A record
// that lives longer is given no cache expiry; reads still check its
// ExpiresAt.
const maxCacheTTL = 100 * 365 * 24 * time.Hour

// Memory is a [Store] that keeps everything in process memory, built on
// go-cache. It suits a single server instance, tests and development; its
// contents are lost when the process exits.
//
// A grant is one entry however often its refresh token rotates; a revoked
// grant leaves a small tombstone (its ID and ExpiresAt) until its ExpiresAt.
// Codes and access tokens are one entry each. Every read compares the
// record's exact ExpiresAt with [time.Now], so an expired record is
// unreadable at once; a janitor reclaims its memory within one cleanup
// interval. Each kind of record is split into 1,024 go-cache shards by a
// seeded hash of its key, and the janitor sweeps one shard at a time
// (go-cache's DeleteExpired) under that shard's lock alone, spreading a pass
// over the whole interval: a request waits for expiry work at most one
// shard's sweep, under a millisecond at three million entries. Call
// [Memory.Close] to stop the janitor when the store is no longer needed.
//
// Every method checks expiry against the time it was called, not the time it
// got a lock, so a record is never refused for the time spent waiting.
//
// A Memory is safe for concurrent use. It refuses, with [ErrInvalid], access
// tokens whose GrantID or JKT is longer than 65,535 bytes.
type Memory struct {
	// Writes and compound operations (consume, rotate, revoke, use once)
	// hold the lock of their key's shard; no operation needs two. Reads of
	// single records go through go-cache's own lock: stored entries are
	// never modified, a change stores a new entry.
	grants  *shardedCache // *grantEntry by grant ID
	codes   *shardedCache // *codeEntry by codeKey(grant ID, hash)
	access  *shardedCache // *accessEntry by hash
	pending *shardedCache // *AuthRequest by requestKey, *Consent by consentKey
	once    *shardedCache // time.Time (the key's expiry) by the caller's key

	clientsMu sync.RWMutex
	clients   map[string]Client

	shapesMu sync.RWMutex
	shapes   map[string]*accessShape // interned access token shapes

	stop     chan struct{}
	stopOnce sync.Once
}

// NewMemory returns an empty Memory whose janitor passes over every record
// once every [DefaultCleanupInterval].
func NewMemory() *Memory {
	return NewMemoryWithCleanup(DefaultCleanupInterval)
}

// NewMemoryWithCleanup returns an empty Memory whose janitor passes over
// every record once each interval, one shard after another, removing the
// expired ones: an expired record holds memory at most interval past its
// ExpiresAt. An interval of zero or less starts no janitor (as tests under
// testing/synctest need); expired records then stay unreadable but hold
// memory until [Memory.DeleteExpired] runs or they are overwritten.
func NewMemoryWithCleanup(interval time.Duration) *Memory {
	m := &Memory{
		grants:  newShardedCache(),
		codes:   newShardedCache(),
		access:  newShardedCache(),
		pending: newShardedCache(),
		once:    newShardedCache(),
		clients: make(map[string]Client),
		shapes:  make(map[string]*accessShape),
		stop:    make(chan struct{}),
	}
	if interval > 0 {
		go m.janitor(interval)
	}
	return m
}

// Close stops the janitor. The store stays usable. Close is idempotent.
func (m *Memory) Close() error {
	m.stopOnce.Do(func() { close(m.stop) })
	return nil
}

// janitor sweeps shard i of every kind of record at the i-th of shardCount
// ticks per interval, and prunes the shape table after each full pass.
func (m *Memory) janitor(interval time.Duration) {
	t := time.NewTicker(max(interval/shardCount, time.Microsecond))
	defer t.Stop()
	next := 0
	for {
		select {
		case <-t.C:
			m.sweep(next)
			next = (next + 1) % shardCount
			if next == 0 {
				m.pruneShapes()
			}
		case <-m.stop:
			return
		}
	}
}

// sweep removes the expired entries of shard i of every kind of record, each
// under its own go-cache lock.
func (m *Memory) sweep(i int) {
	for _, c := range m.caches() {
		c.shards[i].c.DeleteExpired()
	}
}

// DeleteExpired removes every expired record now instead of waiting for the
// janitor. It sweeps one shard at a time, as the janitor does, so requests
// running meanwhile wait for one shard at most.
func (m *Memory) DeleteExpired() {
	for i := range shardCount {
		m.sweep(i)
		// Let a request the sweep held up run before the next shard, even
		// when every processor is busy.
		runtime.Gosched()
	}
	m.pruneShapes()
}

// pruneShapes clears the shape table once it is full.
func (m *Memory) pruneShapes() {
	m.shapesMu.Lock()
	if len(m.shapes) >= maxShapes {
		clear(m.shapes)
	}
	m.shapesMu.Unlock()
}

// Len reports how many entries the store holds: grants (tombstones
// included), codes, access tokens, pending requests, consents and use-once
// keys, expired ones included until the janitor removes them. Clients are
// not counted.
func (m *Memory) Len() int {
	n := 0
	for _, c := range m.caches() {
		n += c.len()
	}
	return n
}

func (m *Memory) caches() [5]*shardedCache {
	return [...]*shardedCache{m.grants, m.codes, m.access, m.pending, m.once}
}

// ttl turns an absolute expiry into a go-cache duration, measured from now.
// go-cache treats a duration of zero or less as "never expires", so an expiry
// that is not after now is refused here instead of becoming immortal.
func ttl(expiresAt, now time.Time) (time.Duration, error) {
	if expiresAt.IsZero() {
		return 0, fmt.Errorf("%w: no expiry", ErrExpired)
	}
	d := expiresAt.Sub(now)
	if d <= 0 {
		return 0, ErrExpired
	}
	if d > maxCacheTTL {
		return cache.NoExpiration, nil
	}
	return d, nil
}

// Client implements [ClientStore].
func (m *Memory) Client(_ context.Context, id string) (Client, error) {
	m.clientsMu.RLock()
	c, ok := m.clients[id]
	m.clientsMu.RUnlock()
	if !ok {
		return Client{}, ErrNotFound
	}
	return cloneClient(c), nil
}

// SaveClient implements [ClientStore].
func (m *Memory) SaveClient(_ context.Context, c Client) error {
	if c.ID == "" {
		return fmt.Errorf("%w: client without id", ErrInvalid)
	}
	c = cloneClient(c)
	m.clientsMu.Lock()
	m.clients[c.ID] = c
	m.clientsMu.Unlock()
	return nil
}

var _ Store = (*Memory)(nil)
