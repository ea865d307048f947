package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unique"

	"github.com/patrickmn/go-cache"
)

// DefaultCleanupInterval is how often the janitor of a [Memory] made by
// [NewMemory] removes expired records.
const DefaultCleanupInterval = time.Minute

// unknownGrantTombstone is how long RevokeGrant remembers a grant it has no
// record of, so that records saved for it soon after stay unreadable.
const unknownGrantTombstone = 24 * time.Hour

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
	grants  *cache.Cache // *grantState keyed by grant ID
	pending *cache.Cache // AuthRequest and Consent entries

	clientsMu sync.RWMutex
	clients   map[string]Client

	scopeSets map[string][]string // interned scope and audience lists, guarded by mu

	stop     chan struct{}
	stopOnce sync.Once
}

// grantState tracks a grant: whether it was revoked, and which retired refresh
// tokens of it are kept for reuse detection. Its go-cache expiry is the latest
// ExpiresAt of the grant's records.
type grantState struct {
	revoked   atomic.Bool
	expiresAt time.Time // guarded by Memory.mu
	retired   []string  // hashes of rotated refresh tokens, guarded by Memory.mu
}

// codeEntry is a stored authorization code.
type codeEntry struct {
	rec      AuthCode
	consumed bool
}

// accessEntry is a stored access token, kept compact because a server may hold
// millions: the hash is the cache key, times are Unix nanoseconds, and scope
// and audience lists are interned.
type accessEntry struct {
	grantID   string
	clientID  string
	subject   string
	scopes    []string
	extra     *accessExtra
	issuedAt  int64
	expiresAt int64
}

// accessExtra holds the rarely set parts of an access token.
type accessExtra struct {
	audience []string
	claims   []byte
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
// hold memory until they are overwritten.
func NewMemoryWithCleanup(interval time.Duration) *Memory {
	m := &Memory{
		tokens:    cache.New(cache.NoExpiration, 0),
		grants:    cache.New(cache.NoExpiration, 0),
		pending:   cache.New(cache.NoExpiration, 0),
		clients:   make(map[string]Client),
		scopeSets: make(map[string][]string),
		stop:      make(chan struct{}),
	}
	// When a grant's last record expires, its retired refresh tokens go too.
	m.grants.OnEvicted(func(_ string, v any) {
		for _, h := range v.(*grantState).retired {
			m.tokens.Delete(h)
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
}

// Len reports how many token, code and pending entries the store holds,
// expired ones included until the janitor removes them.
func (m *Memory) Len() int {
	return m.tokens.ItemCount() + m.pending.ItemCount() + m.grants.ItemCount()
}

// ttl turns an absolute expiry into a go-cache duration. go-cache treats a
// duration of zero or less as "never expires", so an expiry that is not in
// the future is refused here instead of becoming immortal.
func ttl(expiresAt time.Time) (time.Duration, error) {
	if expiresAt.IsZero() {
		return 0, fmt.Errorf("%w: no expiry", ErrExpired)
	}
	d := time.Until(expiresAt)
	if d <= 0 {
		return 0, ErrExpired
	}
	return d, nil
}

func expired(expiresAt time.Time) bool { return !time.Now().Before(expiresAt) }

// intern returns a shared copy of list, so that millions of tokens with the
// same scopes hold one slice. The caller holds m.mu. Interned slices are never
// modified; readers get clones.
func (m *Memory) intern(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	key := strings.Join(list, "\x00")
	if s, ok := m.scopeSets[key]; ok {
		return s
	}
	s := slices.Clone(list)
	m.scopeSets[key] = s
	return s
}

// touchGrant records that a record of grantID lives until expiresAt. The
// caller holds m.mu.
func (m *Memory) touchGrant(grantID string, expiresAt time.Time) {
	if grantID == "" {
		return
	}
	var g *grantState
	if v, ok := m.grants.Get(grantID); ok {
		g = v.(*grantState)
		if !expiresAt.After(g.expiresAt) {
			return
		}
	} else {
		g = &grantState{}
	}
	g.expiresAt = expiresAt
	m.grants.Set(grantID, g, time.Until(expiresAt))
}

// revoked reports whether grantID has been revoked.
func (m *Memory) revoked(grantID string) bool {
	if grantID == "" {
		return false
	}
	v, ok := m.grants.Get(grantID)
	return ok && v.(*grantState).revoked.Load()
}

// grantLive reports whether any record of grantID is still live and the grant
// is not revoked.
func (m *Memory) grantLive(grantID string) bool {
	v, ok := m.grants.Get(grantID)
	if !ok {
		return false
	}
	g := v.(*grantState)
	return !g.revoked.Load()
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
	d, err := ttl(c.ExpiresAt)
	if err != nil {
		return err
	}
	c = cloneCode(c)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.tokens.Add(c.Hash, &codeEntry{rec: c}, d); err != nil {
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
	if !ok || expired(e.rec.ExpiresAt) || m.revoked(e.rec.GrantID) {
		return AuthCode{}, ErrNotFound
	}
	if e.consumed {
		return cloneCode(e.rec), ErrReused
	}
	d, err := ttl(e.rec.ExpiresAt)
	if err != nil {
		return AuthCode{}, ErrNotFound
	}
	// Entries are never modified in place: readers outside mu may hold them.
	m.tokens.Set(hash, &codeEntry{rec: e.rec, consumed: true}, d)
	return cloneCode(e.rec), nil
}

// SaveAccessToken implements [TokenStore].
func (m *Memory) SaveAccessToken(_ context.Context, t AccessToken) error {
	d, err := ttl(t.ExpiresAt)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := &accessEntry{
		grantID:   t.GrantID,
		clientID:  unique.Make(t.ClientID).Value(),
		subject:   t.Subject,
		scopes:    m.intern(t.Scopes),
		issuedAt:  t.IssuedAt.UnixNano(),
		expiresAt: t.ExpiresAt.UnixNano(),
	}
	if len(t.Audience) > 0 || len(t.Claims) > 0 {
		e.extra = &accessExtra{audience: m.intern(t.Audience), claims: slices.Clone(t.Claims)}
	}
	if err := m.tokens.Add(t.Hash, e, d); err != nil {
		return ErrAlreadyExists
	}
	m.touchGrant(t.GrantID, t.ExpiresAt)
	return nil
}

// AccessToken implements [TokenStore].
func (m *Memory) AccessToken(_ context.Context, hash string) (AccessToken, error) {
	v, ok := m.tokens.Get(hash)
	if !ok {
		return AccessToken{}, ErrNotFound
	}
	e, ok := v.(*accessEntry)
	if !ok || time.Now().UnixNano() >= e.expiresAt || m.revoked(e.grantID) {
		return AccessToken{}, ErrNotFound
	}
	t := AccessToken{
		Hash:      hash,
		GrantID:   e.grantID,
		ClientID:  e.clientID,
		Subject:   e.subject,
		Scopes:    slices.Clone(e.scopes),
		IssuedAt:  time.Unix(0, e.issuedAt),
		ExpiresAt: time.Unix(0, e.expiresAt),
	}
	if e.extra != nil {
		t.Audience = slices.Clone(e.extra.audience)
		t.Claims = slices.Clone(e.extra.claims)
	}
	return t, nil
}

// SaveRefreshToken implements [TokenStore].
func (m *Memory) SaveRefreshToken(_ context.Context, t RefreshToken) error {
	if t.GrantID == "" {
		return fmt.Errorf("%w: refresh token without grant id", ErrInvalid)
	}
	d, err := ttl(t.ExpiresAt)
	if err != nil {
		return err
	}
	t = cloneRefresh(t)
	t.RotatedAt, t.SuccessorHash = time.Time{}, ""
	m.mu.Lock()
	defer m.mu.Unlock()
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
	d, err := ttl(next.ExpiresAt)
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
	retired.RotatedAt = time.Now()
	retired.SuccessorHash = next.Hash
	// A retired token lives as long as its grant; the grant's eviction hook
	// removes it.
	m.tokens.Set(oldHash, &refreshEntry{rec: retired}, cache.NoExpiration)
	g, _ := m.grants.Get(next.GrantID)
	gs := g.(*grantState)
	gs.retired = append(gs.retired, oldHash)
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
// the grant until its last record would have expired (at least a day for a
// grant it never saw), and checks it on every read.
func (m *Memory) RevokeGrant(_ context.Context, grantID string) error {
	if grantID == "" {
		return fmt.Errorf("%w: empty grant id", ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.touchGrant(grantID, time.Now().Add(unknownGrantTombstone))
	v, _ := m.grants.Get(grantID)
	v.(*grantState).revoked.Store(true)
	return nil
}

// SaveAuthRequest implements [InteractionStore].
func (m *Memory) SaveAuthRequest(_ context.Context, r AuthRequest) error {
	if r.ID == "" {
		return fmt.Errorf("%w: auth request without id", ErrInvalid)
	}
	d, err := ttl(r.ExpiresAt)
	if err != nil {
		return err
	}
	r = cloneAuthRequest(r)
	m.mu.Lock()
	defer m.mu.Unlock()
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

func consentKey(subject, clientID string) string {
	return "c\x00" + subject + "\x00" + clientID
}

// SaveConsent implements [InteractionStore].
func (m *Memory) SaveConsent(_ context.Context, c Consent) error {
	if c.Subject == "" || c.ClientID == "" {
		return fmt.Errorf("%w: consent without subject or client", ErrInvalid)
	}
	d, err := ttl(c.ExpiresAt)
	if err != nil {
		return err
	}
	c.Scopes = slices.Clone(c.Scopes)
	m.mu.Lock()
	defer m.mu.Unlock()
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
