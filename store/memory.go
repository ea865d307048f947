package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/patrickmn/go-cache"
)

// DefaultCleanupInterval is how often the janitor of a [Memory] made by
// [NewMemory] removes expired records.
const DefaultCleanupInterval = time.Minute

// unknownGrantTombstone is how long RevokeGrant remembers a grant it has no
// record of, so that records saved for it soon after stay unreadable.
const unknownGrantTombstone = 24 * time.Hour

// maxCacheTTL bounds the lifetimes handed to go-cache, which computes
// now+ttl in int64 nanoseconds (that overflows in the year 2262). A record
// that lives longer is given no cache expiry; reads still check its
// ExpiresAt.
const maxCacheTTL = 100 * 365 * 24 * time.Hour

// Memory is a [Store] that keeps everything in process memory, built on
// go-cache. It suits a single server instance, tests and development; its
// contents are lost when the process exits.
//
// Expired records are unreadable at once and are reclaimed by a janitor that
// calls go-cache's DeleteExpired every cleanup interval. Call [Memory.Close]
// to stop the janitor when the store is no longer needed.
//
// A Memory is safe for concurrent use.
type Memory struct {
	// mu serializes writes and compound operations (consume, rotate, revoke)
	// and the janitor. Reads of single records go through go-cache's own lock.
	mu sync.Mutex

	tokens  *cache.Cache // code, access and refresh entries keyed by hash
	grants  *cache.Cache // *grantState (nil for a plain live grant) keyed by grant ID
	pending *cache.Cache // AuthRequest and Consent entries

	clientsMu sync.RWMutex
	clients   map[string]Client

	shapes map[string]*accessShape // interned access token shapes, guarded by mu

	stop     chan struct{}
	stopOnce sync.Once
}

// grantState is what a grant entry holds beyond its go-cache expiry, which
// is the latest ExpiresAt of the grant's records. A live grant with no
// retired refresh token holds a nil *grantState, so that the millions of
// grants of single access tokens cost no allocation of their own.
type grantState struct {
	// revoked never changes once the state is stored: RevokeGrant stores a
	// new state. Readers outside Memory.mu read it.
	revoked bool
	// retired lists the hashes of rotated refresh tokens of the grant, which
	// are deleted with it. Guarded by Memory.mu.
	retired []string
	// expires is the grant's end in Unix nanoseconds, exactly as saved;
	// go-cache's own expiry of the entry may run a little later. Like
	// revoked, it never changes once the state is stored.
	expires int64
}

// codeEntry is a stored authorization code.
type codeEntry struct {
	rec      AuthCode
	consumed bool
}

// accessEntry is a stored access token, kept compact because a server may
// hold millions (48 bytes, plus one allocation for text). The hash is the
// cache key; grant ID, subject and claims share one string; the client ID,
// scopes and audience, which many tokens have in common, are interned; times
// are Unix microseconds.
type accessEntry struct {
	text       string // grant ID, then subject, then claims
	shape      *accessShape
	issuedAt   int64
	expiresAt  int64
	grantLen   uint32
	subjectLen uint32
}

func (e *accessEntry) grantID() string { return e.text[:e.grantLen] }

func (e *accessEntry) subject() string {
	return e.text[e.grantLen : e.grantLen+e.subjectLen]
}

func (e *accessEntry) claims() []byte {
	c := e.text[e.grantLen+e.subjectLen:]
	if c == "" {
		return nil
	}
	return []byte(c)
}

// accessShape is the part of an access token that tokens of one client with
// the same scopes share. Shapes are never modified; readers get clones of
// their slices.
type accessShape struct {
	clientID string
	scopes   []string
	audience []string
}

// refreshEntry is a stored refresh token, live or retired.
type refreshEntry struct {
	rec RefreshToken
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
		tokens:  cache.New(cache.NoExpiration, 0),
		grants:  cache.New(cache.NoExpiration, 0),
		pending: cache.New(cache.NoExpiration, 0),
		clients: make(map[string]Client),
		shapes:  make(map[string]*accessShape),
		stop:    make(chan struct{}),
	}
	// When a grant's last record expires, its retired refresh tokens go too.
	m.grants.OnEvicted(func(_ string, v any) {
		if g, _ := v.(*grantState); g != nil {
			for _, h := range g.retired {
				m.tokens.Delete(h)
			}
		}
	})
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
	m.tokens.DeleteExpired()
	m.pending.DeleteExpired()
	m.grants.DeleteExpired() // after tokens: its eviction hook deletes retired tokens
	if len(m.shapes) >= maxShapes {
		clear(m.shapes)
	}
}

// Len reports how many entries the store holds: codes, tokens (retired
// refresh tokens included), pending requests, consents and the grants they
// belong to, expired ones included until the janitor removes them. Clients
// are not counted.
func (m *Memory) Len() int {
	return m.tokens.ItemCount() + m.pending.ItemCount() + m.grants.ItemCount()
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

func expired(expiresAt time.Time) bool { return !time.Now().Before(expiresAt) }

// shape returns the interned shape of a token. The caller holds m.mu.
func (m *Memory) shape(clientID string, scopes, audience []string) *accessShape {
	key := make([]byte, 0, 64)
	key = appendKeyPart(key, clientID)
	key = binary.AppendUvarint(key, uint64(len(scopes)))
	for _, s := range scopes {
		key = appendKeyPart(key, s)
	}
	for _, s := range audience {
		key = appendKeyPart(key, s)
	}
	if sh, ok := m.shapes[string(key)]; ok {
		return sh
	}
	full := len(m.shapes) >= maxShapes
	sh := &accessShape{
		clientID: clientID,
		scopes:   slices.Clone(scopes),
		audience: slices.Clone(audience),
	}
	if len(sh.scopes) == 0 {
		sh.scopes = nil
	}
	if len(sh.audience) == 0 {
		sh.audience = nil
	}
	if !full {
		// Past the bound a shape is kept by its token alone, so that
		// attacker-chosen combinations cannot grow the table for good.
		m.shapes[string(key)] = sh
	}
	return sh
}

// maxShapes bounds the table of interned token shapes. A table that reaches
// it is cleared by the next cleanup; tokens keep the shapes they point to.
const maxShapes = 4096

// appendKeyPart appends s, prefixed with its length so that no two lists of
// strings give the same key.
func appendKeyPart(key []byte, s string) []byte {
	key = binary.AppendUvarint(key, uint64(len(s)))
	return append(key, s...)
}

// grant returns the state of a live grant entry (nil for a plain grant) and
// its expiry (zero when it has none). ok is false when the grant has no live
// entry.
func (m *Memory) grant(grantID string) (g *grantState, expiresAt time.Time, ok bool) {
	v, expiresAt, ok := m.grants.GetWithExpiration(grantID)
	if !ok {
		return nil, time.Time{}, false
	}
	g, _ = v.(*grantState)
	return g, expiresAt, true
}

// setGrant stores the state of grantID until expiresAt (zero: no expiry).
// The caller holds m.mu.
func (m *Memory) setGrant(grantID string, g *grantState, expiresAt time.Time) {
	d := cache.NoExpiration
	if !expiresAt.IsZero() {
		var err error
		if d, err = ttl(expiresAt, time.Now()); err != nil {
			// Already over: a dead grant needs no entry; evicting it
			// reclaims its retired tokens.
			m.grants.Delete(grantID)
			return
		}
	}
	if g != nil {
		// A new value each time, so that readers never see it change.
		g = &grantState{revoked: g.revoked, retired: g.retired}
		if !expiresAt.IsZero() {
			g.expires = expiresAt.UnixNano()
		}
	}
	m.grants.Set(grantID, g, d)
}

// touchGrant records that a record of grantID lives until expiresAt. The
// caller holds m.mu.
func (m *Memory) touchGrant(grantID string, expiresAt time.Time) {
	if grantID == "" {
		return
	}
	g, until, ok := m.grant(grantID)
	if ok && (until.IsZero() || !expiresAt.After(until)) {
		return
	}
	if !ok {
		// An expired entry the janitor has not reached yet is evicted
		// first, so that its hook reclaims the grant's retired tokens.
		m.grants.Delete(grantID)
	}
	m.setGrant(grantID, g, expiresAt)
}

// revoked reports whether grantID has been revoked.
func (m *Memory) revoked(grantID string) bool {
	if grantID == "" {
		return false
	}
	g, _, ok := m.grant(grantID)
	return ok && g != nil && g.revoked
}

// grantLive reports whether any record of grantID is still live and the grant
// is not revoked.
func (m *Memory) grantLive(grantID string) bool {
	g, _, ok := m.grant(grantID)
	if !ok || g == nil {
		return ok
	}
	return !g.revoked && (g.expires == 0 || time.Now().UnixNano() < g.expires)
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

// SaveCode implements [CodeStore].
func (m *Memory) SaveCode(_ context.Context, c AuthCode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := ttl(c.ExpiresAt, time.Now())
	if err != nil {
		return err
	}
	if err := m.tokens.Add(c.Hash, &codeEntry{rec: cloneCode(c)}, d); err != nil {
		return ErrAlreadyExists
	}
	m.touchGrant(c.GrantID, c.ExpiresAt)
	return nil
}

// ConsumeCode implements [CodeStore].
func (m *Memory) ConsumeCode(_ context.Context, hash string) (AuthCode, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.tokens.Get(hash)
	if !ok {
		return AuthCode{}, ErrNotFound
	}
	e, ok := v.(*codeEntry)
	if !ok || m.revoked(e.rec.GrantID) {
		return AuthCode{}, ErrNotFound
	}
	d, err := ttl(e.rec.ExpiresAt, time.Now())
	if err != nil {
		return AuthCode{}, ErrNotFound
	}
	if e.consumed {
		return cloneCode(e.rec), ErrReused
	}
	// Entries are never modified in place: readers outside mu may hold them.
	m.tokens.Set(hash, &codeEntry{rec: e.rec, consumed: true}, d)
	return cloneCode(e.rec), nil
}

// SaveAccessToken implements [TokenStore].
func (m *Memory) SaveAccessToken(_ context.Context, t AccessToken) error {
	if uint64(len(t.GrantID)) > math.MaxUint32 || uint64(len(t.Subject)) > math.MaxUint32 {
		return fmt.Errorf("%w: access token grant id or subject too long", ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := ttl(t.ExpiresAt, time.Now())
	if err != nil {
		return err
	}
	e := &accessEntry{
		text:       t.GrantID + t.Subject + string(t.Claims),
		shape:      m.shape(t.ClientID, t.Scopes, t.Audience),
		issuedAt:   t.IssuedAt.UnixMicro(),
		expiresAt:  t.ExpiresAt.UnixMicro(),
		grantLen:   uint32(len(t.GrantID)),
		subjectLen: uint32(len(t.Subject)),
	}
	if err := m.tokens.Add(t.Hash, e, d); err != nil {
		return ErrAlreadyExists
	}
	// The grant's key shares the entry's text rather than the caller's string.
	m.touchGrant(e.grantID(), t.ExpiresAt)
	return nil
}

// AccessToken implements [TokenStore].
func (m *Memory) AccessToken(_ context.Context, hash string) (AccessToken, error) {
	v, ok := m.tokens.Get(hash)
	if !ok {
		return AccessToken{}, ErrNotFound
	}
	e, ok := v.(*accessEntry)
	if !ok || time.Now().UnixMicro() >= e.expiresAt || m.revoked(e.grantID()) {
		return AccessToken{}, ErrNotFound
	}
	return AccessToken{
		Hash:      hash,
		GrantID:   e.grantID(),
		ClientID:  e.shape.clientID,
		Subject:   e.subject(),
		Scopes:    slices.Clone(e.shape.scopes),
		Audience:  slices.Clone(e.shape.audience),
		Claims:    e.claims(),
		IssuedAt:  time.UnixMicro(e.issuedAt),
		ExpiresAt: time.UnixMicro(e.expiresAt),
	}, nil
}

// SaveRefreshToken implements [TokenStore].
func (m *Memory) SaveRefreshToken(_ context.Context, t RefreshToken) error {
	if t.GrantID == "" {
		return fmt.Errorf("%w: refresh token without grant id", ErrInvalid)
	}
	t = cloneRefresh(t)
	t.RotatedAt, t.SuccessorHash = time.Time{}, ""
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := ttl(t.ExpiresAt, time.Now())
	if err != nil {
		return err
	}
	if err := m.tokens.Add(t.Hash, &refreshEntry{rec: t}, d); err != nil {
		return ErrAlreadyExists
	}
	m.touchGrant(t.GrantID, t.ExpiresAt)
	return nil
}

// RefreshToken implements [TokenStore].
func (m *Memory) RefreshToken(_ context.Context, hash string) (RefreshToken, error) {
	v, ok := m.tokens.Get(hash)
	if !ok {
		return RefreshToken{}, ErrNotFound
	}
	e, ok := v.(*refreshEntry)
	if !ok || !m.refreshReadable(e) {
		return RefreshToken{}, ErrNotFound
	}
	return cloneRefresh(e.rec), nil
}

// refreshReadable reports whether a refresh entry may be returned: a live
// token until its expiry, a retired one while its grant lives.
func (m *Memory) refreshReadable(e *refreshEntry) bool {
	if e.rec.Rotated() {
		return m.grantLive(e.rec.GrantID)
	}
	return !expired(e.rec.ExpiresAt) && !m.revoked(e.rec.GrantID)
}

// RotateRefreshToken implements [TokenStore].
func (m *Memory) RotateRefreshToken(_ context.Context, oldHash string, next RefreshToken) (RefreshToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.tokens.Get(oldHash)
	if !ok {
		return RefreshToken{}, ErrNotFound
	}
	e, ok := v.(*refreshEntry)
	if !ok || !m.refreshReadable(e) {
		return RefreshToken{}, ErrNotFound
	}
	if e.rec.Rotated() {
		return cloneRefresh(e.rec), ErrReused
	}
	if next.GrantID != e.rec.GrantID {
		return RefreshToken{}, fmt.Errorf("%w: successor belongs to another grant", ErrInvalid)
	}
	now := time.Now()
	d, err := ttl(next.ExpiresAt, now)
	if err != nil {
		return RefreshToken{}, err
	}
	if _, taken := m.tokens.Get(next.Hash); taken || next.Hash == oldHash {
		return RefreshToken{}, ErrAlreadyExists
	}
	next = cloneRefresh(next)
	next.RotatedAt, next.SuccessorHash = time.Time{}, ""
	m.tokens.Set(next.Hash, &refreshEntry{rec: next}, d)
	m.touchGrant(next.GrantID, next.ExpiresAt)

	retired := cloneRefresh(e.rec)
	retired.RotatedAt = now
	retired.SuccessorHash = next.Hash
	// A retired token lives as long as its grant; the grant's eviction hook
	// removes it.
	g, until, ok := m.grant(next.GrantID)
	if !ok {
		// The successor expired while we worked: the whole grant is over,
		// and a retired token of it would be unreadable.
		m.tokens.Delete(oldHash)
		return cloneRefresh(e.rec), nil
	}
	m.tokens.Set(oldHash, &refreshEntry{rec: retired}, cache.NoExpiration)
	if g == nil {
		m.setGrant(next.GrantID, &grantState{retired: []string{oldHash}}, until)
	} else {
		g.retired = append(g.retired, oldHash) // guarded by mu, which we hold
	}
	return cloneRefresh(e.rec), nil
}

// DeleteToken implements [TokenStore].
func (m *Memory) DeleteToken(_ context.Context, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.tokens.Get(hash); ok {
		switch v.(type) {
		case *accessEntry, *refreshEntry:
			m.tokens.Delete(hash)
		}
	}
	return nil
}

// RevokeGrant implements [TokenStore]. The memory store keeps a tombstone for
// the grant until its last record would have expired, and at least
// unknownGrantTombstone (a day), and checks it on every read. A record of the
// grant saved after the tombstone is gone is readable again.
func (m *Memory) RevokeGrant(_ context.Context, grantID string) error {
	if grantID == "" {
		return fmt.Errorf("%w: empty grant id", ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	g, until, ok := m.grant(grantID)
	if !ok {
		m.grants.Delete(grantID) // evict an expired remnant; see touchGrant
	}
	tombstone := time.Now().Add(unknownGrantTombstone)
	if !ok || (!until.IsZero() && until.Before(tombstone)) {
		until = tombstone
	}
	revoked := &grantState{revoked: true}
	if g != nil {
		revoked.retired = g.retired
	}
	m.setGrant(grantID, revoked, until)
	return nil
}

// SaveAuthRequest implements [InteractionStore].
func (m *Memory) SaveAuthRequest(_ context.Context, r AuthRequest) error {
	if r.ID == "" {
		return fmt.Errorf("%w: auth request without id", ErrInvalid)
	}
	r = cloneAuthRequest(r)
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := ttl(r.ExpiresAt, time.Now())
	if err != nil {
		return err
	}
	m.pending.Set("r\x00"+r.ID, &r, d)
	return nil
}

// AuthRequest implements [InteractionStore].
func (m *Memory) AuthRequest(_ context.Context, id string) (AuthRequest, error) {
	v, ok := m.pending.Get("r\x00" + id)
	if !ok {
		return AuthRequest{}, ErrNotFound
	}
	r := v.(*AuthRequest)
	if expired(r.ExpiresAt) {
		return AuthRequest{}, ErrNotFound
	}
	return cloneAuthRequest(*r), nil
}

// ConsumeAuthRequest implements [InteractionStore].
func (m *Memory) ConsumeAuthRequest(ctx context.Context, id string) (AuthRequest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.AuthRequest(ctx, id)
	if err != nil {
		return AuthRequest{}, err
	}
	m.pending.Delete("r\x00" + id)
	return r, nil
}

// consentKey names a consent. The subject's length comes first, so that no
// two (subject, client) pairs share a key whatever bytes they hold.
func consentKey(subject, clientID string) string {
	return "c" + strconv.Itoa(len(subject)) + ":" + subject + clientID
}

// SaveConsent implements [InteractionStore].
func (m *Memory) SaveConsent(_ context.Context, c Consent) error {
	if c.Subject == "" || c.ClientID == "" {
		return fmt.Errorf("%w: consent without subject or client", ErrInvalid)
	}
	c.Scopes = slices.Clone(c.Scopes)
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := ttl(c.ExpiresAt, time.Now())
	if err != nil {
		return err
	}
	m.pending.Set(consentKey(c.Subject, c.ClientID), &c, d)
	return nil
}

// Consent implements [InteractionStore].
func (m *Memory) Consent(_ context.Context, subject, clientID string) (Consent, error) {
	v, ok := m.pending.Get(consentKey(subject, clientID))
	if !ok {
		return Consent{}, ErrNotFound
	}
	c := *v.(*Consent)
	if expired(c.ExpiresAt) {
		return Consent{}, ErrNotFound
	}
	c.Scopes = slices.Clone(c.Scopes)
	return c, nil
}

// DeleteConsent implements [InteractionStore].
func (m *Memory) DeleteConsent(_ context.Context, subject, clientID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending.Delete(consentKey(subject, clientID))
	return nil
}

func cloneClient(c Client) Client {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.LoginURIs = slices.Clone(c.LoginURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.ResponseTypes = slices.Clone(c.ResponseTypes)
	c.Scopes = slices.Clone(c.Scopes)
	c.Resources = slices.Clone(c.Resources)
	return c
}

func cloneCode(c AuthCode) AuthCode {
	c.Scopes = slices.Clone(c.Scopes)
	c.Resources = slices.Clone(c.Resources)
	return c
}

func cloneRefresh(t RefreshToken) RefreshToken {
	t.Scopes = slices.Clone(t.Scopes)
	t.Audience = slices.Clone(t.Audience)
	return t
}

func cloneAuthRequest(r AuthRequest) AuthRequest {
	r.Scopes = slices.Clone(r.Scopes)
	r.Resources = slices.Clone(r.Resources)
	return r
}

var _ Store = (*Memory)(nil)
