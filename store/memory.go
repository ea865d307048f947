package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/patrickmn/go-cache"
)

// DefaultCleanupInterval is how often the janitor of a [Memory] made by
// [NewMemory] removes expired records.
const DefaultCleanupInterval = time.Minute

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
// unreadable at once; a janitor reclaims its memory every cleanup interval,
// through go-cache's DeleteExpired. Call [Memory.Close] to stop the janitor
// when the store is no longer needed.
//
// A Memory is safe for concurrent use. It refuses, with [ErrInvalid], access
// tokens whose GrantID or JKT is longer than 65,535 bytes.
type Memory struct {
	// mu serializes writes and compound operations (consume, rotate, revoke,
	// use once) and the janitor. Reads of single records go through
	// go-cache's own lock: stored entries are never modified, a change
	// stores a new entry.
	mu sync.Mutex

	grants  *cache.Cache // *grantEntry by grant ID
	codes   *cache.Cache // *codeEntry by codeKey(grant ID, hash)
	access  *cache.Cache // *accessEntry by hash
	pending *cache.Cache // *AuthRequest by requestKey, *Consent by consentKey
	once    *cache.Cache // time.Time (the key's expiry) by the caller's key

	clientsMu sync.RWMutex
	clients   map[string]Client

	shapes map[string]*accessShape // interned access token shapes, guarded by mu

	stop     chan struct{}
	stopOnce sync.Once
}

// NewMemory returns an empty Memory whose janitor runs every
// [DefaultCleanupInterval].
func NewMemory() *Memory {
	return NewMemoryWithCleanup(DefaultCleanupInterval)
}

// NewMemoryWithCleanup returns an empty Memory whose janitor removes expired
// records every interval. An interval of zero or less starts no janitor (as
// tests under testing/synctest need); expired records then stay unreadable but
// hold memory until [Memory.DeleteExpired] runs or they are overwritten.
func NewMemoryWithCleanup(interval time.Duration) *Memory {
	m := &Memory{
		grants:  cache.New(cache.NoExpiration, 0),
		codes:   cache.New(cache.NoExpiration, 0),
		access:  cache.New(cache.NoExpiration, 0),
		pending: cache.New(cache.NoExpiration, 0),
		once:    cache.New(cache.NoExpiration, 0),
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

func (m *Memory) janitor(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.DeleteExpired()
		case <-m.stop:
			return
		}
	}
}

// DeleteExpired removes every expired record now instead of waiting for the
// janitor.
func (m *Memory) DeleteExpired() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.caches() {
		c.DeleteExpired()
	}
	if len(m.shapes) >= maxShapes {
		clear(m.shapes)
	}
}

// Len reports how many entries the store holds: grants (tombstones
// included), codes, access tokens, pending requests, consents and use-once
// keys, expired ones included until the janitor removes them. Clients are
// not counted.
func (m *Memory) Len() int {
	n := 0
	for _, c := range m.caches() {
		n += c.ItemCount()
	}
	return n
}

func (m *Memory) caches() [5]*cache.Cache {
	return [...]*cache.Cache{m.grants, m.codes, m.access, m.pending, m.once}
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

func cloneClient(c Client) Client {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.LoginURIs = slices.Clone(c.LoginURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.ResponseTypes = slices.Clone(c.ResponseTypes)
	c.Scopes = slices.Clone(c.Scopes)
	c.Resources = slices.Clone(c.Resources)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	c.JWKS = slices.Clone(c.JWKS)
	return c
}

var _ Store = (*Memory)(nil)
