package storetest

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kunci/kunci/store"
)

// The deliberately broken stores TestChecksCatchBrokenStores feeds the
// checks. Each embeds a working Memory and breaks one contract.

// zeroOf returns the zero value of v's type.
func zeroOf(v any) any { return reflect.Zero(reflect.TypeOf(v)).Interface() }

// firstZeroField returns the name of the first exported field of the
// struct v that holds its zero value, or "".
func firstZeroField(v any) string {
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		if rv.Type().Field(i).IsExported() && rv.Field(i).IsZero() {
			return rv.Type().Field(i).Name
		}
	}
	return ""
}

// rendezvous holds the first two callers of meet until both have arrived;
// later callers pass straight through. A broken store calls it between its
// read and its write, so that two racing callers always both read before
// either writes: the interleaving a scheduler yield allows, made certain.
type rendezvous struct {
	mu   sync.Mutex
	n    int
	both chan struct{}
}

func newRendezvous() *rendezvous { return &rendezvous{both: make(chan struct{})} }

func (r *rendezvous) meet() {
	r.mu.Lock()
	r.n++
	n := r.n
	if n == 2 {
		close(r.both)
	}
	r.mu.Unlock()
	if n <= 2 {
		<-r.both
	}
}

// nonAtomic consumes codes and requests, rotates refresh tokens and uses
// keys once by reading first and writing afterwards, as two steps; a write
// that finds its work already done reports success all the same.
type nonAtomic struct {
	*store.Memory
	codeGap, requestGap, rotateGap, onceGap *rendezvous

	mu   sync.Mutex
	used map[string]bool
}

func newNonAtomic(m *store.Memory) *nonAtomic {
	return &nonAtomic{
		Memory: m, codeGap: newRendezvous(), requestGap: newRendezvous(), rotateGap: newRendezvous(),
		onceGap: newRendezvous(), used: make(map[string]bool),
	}
}

func (s *nonAtomic) ConsumeCode(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	c, err := s.Memory.Code(ctx, grantID, hash)
	if err != nil {
		return c, err
	}
	s.codeGap.meet()
	_, _ = s.Memory.ConsumeCode(ctx, grantID, hash)
	return c, nil
}

func (s *nonAtomic) ConsumeAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	r, err := s.Memory.AuthRequest(ctx, id)
	if err != nil {
		return r, err
	}
	s.requestGap.meet()
	_, _ = s.Memory.ConsumeAuthRequest(ctx, id)
	return r, nil
}

func (s *nonAtomic) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	g, err := s.Memory.Grant(ctx, grantID)
	if err != nil {
		return store.Grant{}, err
	}
	if g.RefreshHash != oldHash {
		return g, store.ErrReused
	}
	s.rotateGap.meet()
	if _, err := s.Memory.RotateRefreshToken(ctx, grantID, oldHash, next); err != nil && !errors.Is(err, store.ErrReused) {
		return store.Grant{}, err
	}
	return g, nil
}

func (s *nonAtomic) UseOnce(_ context.Context, key string, _ time.Time) error {
	s.mu.Lock()
	used := s.used[key]
	s.mu.Unlock()
	if used {
		return store.ErrReused
	}
	s.onceGap.meet()
	s.mu.Lock()
	s.used[key] = true
	s.mu.Unlock()
	return nil
}

// reuseWithoutRecord reports a consumed code or a retired refresh token with
// ErrReused but without the record the server needs to revoke the grant.
type reuseWithoutRecord struct{ *store.Memory }

func (s *reuseWithoutRecord) ConsumeCode(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	c, err := s.Memory.ConsumeCode(ctx, grantID, hash)
	if errors.Is(err, store.ErrReused) {
		return store.AuthCode{}, err
	}
	return c, err
}

func (s *reuseWithoutRecord) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	g, err := s.Memory.RotateRefreshToken(ctx, grantID, oldHash, next)
	if errors.Is(err, store.ErrReused) {
		return store.Grant{}, err
	}
	return g, err
}

// staleExtra is how much longer than its ExpiresAt staleReads and
// staleGrants keep a record.
const staleExtra = 10 * time.Minute

// staleReads saves every record but grants with staleExtra added to its
// expiry, as if it trusted a cache TTL that outlives ExpiresAt, and reads
// return the record with its real expiry without checking it.
type staleReads struct{ *store.Memory }

func (s *staleReads) SaveCode(ctx context.Context, c store.AuthCode) error {
	c.ExpiresAt = c.ExpiresAt.Add(staleExtra)
	return s.Memory.SaveCode(ctx, c)
}

func (s *staleReads) Code(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	c, err := s.Memory.Code(ctx, grantID, hash)
	if err == nil || errors.Is(err, store.ErrReused) {
		c.ExpiresAt = c.ExpiresAt.Add(-staleExtra)
	}
	return c, err
}

func (s *staleReads) ConsumeCode(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	c, err := s.Memory.ConsumeCode(ctx, grantID, hash)
	if err == nil || errors.Is(err, store.ErrReused) {
		c.ExpiresAt = c.ExpiresAt.Add(-staleExtra)
	}
	return c, err
}

func (s *staleReads) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	t.ExpiresAt = t.ExpiresAt.Add(staleExtra)
	return s.Memory.SaveAccessToken(ctx, t)
}

func (s *staleReads) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	t, err := s.Memory.AccessToken(ctx, hash)
	if err == nil {
		t.ExpiresAt = t.ExpiresAt.Add(-staleExtra)
	}
	return t, err
}

func (s *staleReads) SaveAuthRequest(ctx context.Context, r store.AuthRequest) error {
	r.ExpiresAt = r.ExpiresAt.Add(staleExtra)
	return s.Memory.SaveAuthRequest(ctx, r)
}

func (s *staleReads) AuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	r, err := s.Memory.AuthRequest(ctx, id)
	if err == nil {
		r.ExpiresAt = r.ExpiresAt.Add(-staleExtra)
	}
	return r, err
}

func (s *staleReads) ConsumeAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	r, err := s.Memory.ConsumeAuthRequest(ctx, id)
	if err == nil {
		r.ExpiresAt = r.ExpiresAt.Add(-staleExtra)
	}
	return r, err
}

func (s *staleReads) SaveConsent(ctx context.Context, c store.Consent) error {
	c.ExpiresAt = c.ExpiresAt.Add(staleExtra)
	return s.Memory.SaveConsent(ctx, c)
}

func (s *staleReads) Consent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	c, err := s.Memory.Consent(ctx, subject, clientID)
	if err == nil {
		c.ExpiresAt = c.ExpiresAt.Add(-staleExtra)
	}
	return c, err
}

func (s *staleReads) UseOnce(ctx context.Context, key string, expiresAt time.Time) error {
	return s.Memory.UseOnce(ctx, key, expiresAt.Add(staleExtra))
}

// staleGrants keeps grants staleExtra past their ExpiresAt and reads them
// back with their real expiry without checking it.
type staleGrants struct{ *store.Memory }

func (s *staleGrants) SaveGrant(ctx context.Context, g store.Grant) error {
	g.ExpiresAt = g.ExpiresAt.Add(staleExtra)
	return s.Memory.SaveGrant(ctx, g)
}

func (s *staleGrants) Grant(ctx context.Context, id string) (store.Grant, error) {
	g, err := s.Memory.Grant(ctx, id)
	if err == nil {
		g.ExpiresAt = g.ExpiresAt.Add(-staleExtra)
	}
	return g, err
}

func (s *staleGrants) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	g, err := s.Memory.RotateRefreshToken(ctx, grantID, oldHash, next)
	if err == nil || errors.Is(err, store.ErrReused) {
		g.ExpiresAt = g.ExpiresAt.Add(-staleExtra)
	}
	return g, err
}

// refreshLivesWithGrant keeps every refresh token current until its grant
// expires, whatever its own expiry, and reports the real expiry on reads.
type refreshLivesWithGrant struct {
	*store.Memory

	mu   sync.Mutex
	real map[string]time.Time // refresh hash to its own ExpiresAt
}

func newRefreshLivesWithGrant(m *store.Memory) *refreshLivesWithGrant {
	return &refreshLivesWithGrant{Memory: m, real: make(map[string]time.Time)}
}

func (s *refreshLivesWithGrant) note(hash string, exp time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.real[hash] = exp
}

// unstale puts the real refresh expiry back into g.
func (s *refreshLivesWithGrant) unstale(g store.Grant) store.Grant {
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.real[g.RefreshHash]; ok {
		g.RefreshExpiresAt = exp
	}
	return g
}

func (s *refreshLivesWithGrant) SaveGrant(ctx context.Context, g store.Grant) error {
	if g.RefreshHash != "" {
		s.note(g.RefreshHash, g.RefreshExpiresAt)
		g.RefreshExpiresAt = g.ExpiresAt
	}
	return s.Memory.SaveGrant(ctx, g)
}

func (s *refreshLivesWithGrant) Grant(ctx context.Context, id string) (store.Grant, error) {
	g, err := s.Memory.Grant(ctx, id)
	if err != nil {
		return g, err
	}
	return s.unstale(g), nil
}

func (s *refreshLivesWithGrant) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	if g, err := s.Memory.Grant(ctx, grantID); err == nil && next.Hash != "" && !next.ExpiresAt.After(g.ExpiresAt) && next.ExpiresAt.After(time.Now()) {
		s.note(next.Hash, next.ExpiresAt)
		next.ExpiresAt = g.ExpiresAt
	}
	g, err := s.Memory.RotateRefreshToken(ctx, grantID, oldHash, next)
	if err == nil || errors.Is(err, store.ErrReused) {
		g = s.unstale(g)
	}
	return g, err
}

// acceptsExpired saves records that have expired, as a store does that
// computes a lifetime with time.Until(ExpiresAt) and, like go-cache, takes a
// lifetime of zero or less to mean "never expires". Live records expire as
// they should.
type acceptsExpired struct{ *store.Memory }

func (s *acceptsExpired) SaveGrant(ctx context.Context, g store.Grant) error {
	g.ExpiresAt = immortal(g.ExpiresAt)
	return s.Memory.SaveGrant(ctx, g)
}

func (s *acceptsExpired) SaveCode(ctx context.Context, c store.AuthCode) error {
	c.ExpiresAt = immortal(c.ExpiresAt)
	return s.Memory.SaveCode(ctx, c)
}

func (s *acceptsExpired) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	t.ExpiresAt = immortal(t.ExpiresAt)
	return s.Memory.SaveAccessToken(ctx, t)
}

func (s *acceptsExpired) SaveAuthRequest(ctx context.Context, r store.AuthRequest) error {
	r.ExpiresAt = immortal(r.ExpiresAt)
	return s.Memory.SaveAuthRequest(ctx, r)
}

func (s *acceptsExpired) SaveConsent(ctx context.Context, c store.Consent) error {
	c.ExpiresAt = immortal(c.ExpiresAt)
	return s.Memory.SaveConsent(ctx, c)
}

func (s *acceptsExpired) UseOnce(ctx context.Context, key string, expiresAt time.Time) error {
	return s.Memory.UseOnce(ctx, key, immortal(expiresAt))
}

// immortal turns an expiry that has passed into one far ahead, which is what
// a TTL of zero or less means to go-cache.
func immortal(expiresAt time.Time) time.Time {
	if time.Until(expiresAt) <= 0 {
		return time.Now().Add(100 * 365 * 24 * time.Hour)
	}
	return expiresAt
}

// aliasing keeps clients and access tokens in maps without copying: with
// keepInput it stores the caller's slices (and returns copies), otherwise it
// stores copies but returns its own slices.
type aliasing struct {
	*store.Memory
	keepInput bool

	mu      sync.Mutex
	clients map[string]store.Client
	tokens  map[string]store.AccessToken
}

func (s *aliasing) SaveClient(_ context.Context, c store.Client) error {
	if c.ID == "" {
		return store.ErrInvalid
	}
	if !s.keepInput {
		c = deepCopy(c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients == nil {
		s.clients = make(map[string]store.Client)
	}
	s.clients[c.ID] = c
	return nil
}

func (s *aliasing) Client(_ context.Context, id string) (store.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return store.Client{}, store.ErrNotFound
	}
	if s.keepInput {
		c = deepCopy(c)
	}
	return c, nil
}

func (s *aliasing) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	if err := s.Memory.SaveAccessToken(ctx, t); err != nil {
		return err
	}
	if !s.keepInput {
		t = deepCopy(t)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = make(map[string]store.AccessToken)
	}
	s.tokens[t.Hash] = t
	return nil
}

func (s *aliasing) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	if _, err := s.Memory.AccessToken(ctx, hash); err != nil {
		return store.AccessToken{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[hash]
	if s.keepInput {
		t = deepCopy(t)
	}
	return t, nil
}

// reusedAliasing keeps its own copy of every grant and returns copies from
// Grant, but hands out the stored record itself together with ErrReused.
type reusedAliasing struct {
	*store.Memory

	mu     sync.Mutex
	grants map[string]store.Grant
}

func newReusedAliasing(m *store.Memory) *reusedAliasing {
	return &reusedAliasing{Memory: m, grants: make(map[string]store.Grant)}
}

func (s *reusedAliasing) remember(ctx context.Context, id string) {
	if g, err := s.Memory.Grant(ctx, id); err == nil {
		s.mu.Lock()
		s.grants[id] = g
		s.mu.Unlock()
	}
}

func (s *reusedAliasing) SaveGrant(ctx context.Context, g store.Grant) error {
	err := s.Memory.SaveGrant(ctx, g)
	s.remember(ctx, g.ID)
	return err
}

func (s *reusedAliasing) Grant(ctx context.Context, id string) (store.Grant, error) {
	if _, err := s.Memory.Grant(ctx, id); err != nil {
		return store.Grant{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopy(s.grants[id]), nil
}

func (s *reusedAliasing) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	g, err := s.Memory.RotateRefreshToken(ctx, grantID, oldHash, next)
	switch {
	case err == nil:
		s.remember(ctx, grantID)
	case errors.Is(err, store.ErrReused):
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.grants[grantID], err
	}
	return g, err
}

// forgetsRotated treats a refresh token that is not the current one as
// unknown, so reuse goes undetected.
type forgetsRotated struct{ *store.Memory }

func (s *forgetsRotated) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	g, err := s.Memory.RotateRefreshToken(ctx, grantID, oldHash, next)
	if errors.Is(err, store.ErrReused) {
		return store.Grant{}, store.ErrNotFound
	}
	return g, err
}

// lastRetiredOnly recognises only the token the last rotation retired as a
// reuse; older retired tokens are reported as unknown.
type lastRetiredOnly struct{ *store.Memory }

func (s *lastRetiredOnly) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	g, err := s.Memory.RotateRefreshToken(ctx, grantID, oldHash, next)
	if errors.Is(err, store.ErrReused) && oldHash != g.PreviousRefreshHash {
		return store.Grant{}, store.ErrNotFound
	}
	return g, err
}

// retiredExpires forgets a retired refresh token once the expiry it had
// while current has passed.
type retiredExpires struct {
	*store.Memory

	mu      sync.Mutex
	expires map[string]time.Time // refresh hash to its own ExpiresAt
}

func newRetiredExpires(m *store.Memory) *retiredExpires {
	return &retiredExpires{Memory: m, expires: make(map[string]time.Time)}
}

func (s *retiredExpires) note(hash string, exp time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expires[hash] = exp
}

func (s *retiredExpires) SaveGrant(ctx context.Context, g store.Grant) error {
	s.note(g.RefreshHash, g.RefreshExpiresAt)
	return s.Memory.SaveGrant(ctx, g)
}

func (s *retiredExpires) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	s.note(next.Hash, next.ExpiresAt)
	g, err := s.Memory.RotateRefreshToken(ctx, grantID, oldHash, next)
	if errors.Is(err, store.ErrReused) {
		s.mu.Lock()
		exp, ok := s.expires[oldHash]
		s.mu.Unlock()
		if ok && !time.Now().Before(exp) {
			return store.Grant{}, store.ErrNotFound
		}
	}
	return g, err
}

// revokedSet is the bookkeeping of the broken revocations below: grants
// revoked in the wrapper and never in the Memory underneath.
type revokedSet struct {
	mu      sync.Mutex
	revoked map[string]bool
	hidden  map[string]bool // code and access token hashes
	byGrant map[string][]string
}

func newRevokedSet() revokedSet {
	return revokedSet{revoked: make(map[string]bool), hidden: make(map[string]bool), byGrant: make(map[string][]string)}
}

func (r *revokedSet) isRevoked(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.revoked[id]
}

func (r *revokedSet) isHidden(hash string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hidden[hash]
}

func (r *revokedSet) note(grantID, hash string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byGrant[grantID] = append(r.byGrant[grantID], hash)
}

// revoke marks the grant revoked and hides the records noted for it so far.
// The empty ID names no grant.
func (r *revokedSet) revoke(id string) {
	if id == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.revoked[id] = true
	for _, h := range r.byGrant[id] {
		r.hidden[h] = true
	}
}

// revokeMissesRefresh hides a revoked grant, its codes and access tokens,
// but its refresh token keeps rotating.
type revokeMissesRefresh struct {
	*store.Memory
	revokedSet
}

func newRevokeMissesRefresh(m *store.Memory) *revokeMissesRefresh {
	return &revokeMissesRefresh{Memory: m, revokedSet: newRevokedSet()}
}

func (s *revokeMissesRefresh) RevokeGrant(_ context.Context, id string) error {
	s.revoke(id)
	return nil
}

func (s *revokeMissesRefresh) Grant(ctx context.Context, id string) (store.Grant, error) {
	if s.isRevoked(id) {
		return store.Grant{}, store.ErrNotFound
	}
	return s.Memory.Grant(ctx, id)
}

func (s *revokeMissesRefresh) SaveCode(ctx context.Context, c store.AuthCode) error {
	if s.isRevoked(c.GrantID) {
		return store.ErrNotFound
	}
	return s.Memory.SaveCode(ctx, c)
}

func (s *revokeMissesRefresh) Code(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	if s.isRevoked(grantID) {
		return store.AuthCode{}, store.ErrNotFound
	}
	return s.Memory.Code(ctx, grantID, hash)
}

func (s *revokeMissesRefresh) ConsumeCode(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	if s.isRevoked(grantID) {
		return store.AuthCode{}, store.ErrNotFound
	}
	return s.Memory.ConsumeCode(ctx, grantID, hash)
}

func (s *revokeMissesRefresh) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	if s.isRevoked(t.GrantID) {
		return store.ErrNotFound
	}
	return s.Memory.SaveAccessToken(ctx, t)
}

func (s *revokeMissesRefresh) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	t, err := s.Memory.AccessToken(ctx, hash)
	if err == nil && s.isRevoked(t.GrantID) {
		return store.AccessToken{}, store.ErrNotFound
	}
	return t, err
}

// revokeSnapshot revokes a grant by hiding it and the records it holds at
// that moment; codes and access tokens saved for it afterwards are kept and
// readable.
type revokeSnapshot struct {
	*store.Memory
	revokedSet
}

func newRevokeSnapshot(m *store.Memory) *revokeSnapshot {
	return &revokeSnapshot{Memory: m, revokedSet: newRevokedSet()}
}

func (s *revokeSnapshot) RevokeGrant(_ context.Context, id string) error {
	s.revoke(id)
	return nil
}

func (s *revokeSnapshot) Grant(ctx context.Context, id string) (store.Grant, error) {
	if s.isRevoked(id) {
		return store.Grant{}, store.ErrNotFound
	}
	return s.Memory.Grant(ctx, id)
}

func (s *revokeSnapshot) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	if s.isRevoked(grantID) {
		return store.Grant{}, store.ErrNotFound
	}
	return s.Memory.RotateRefreshToken(ctx, grantID, oldHash, next)
}

func (s *revokeSnapshot) SaveCode(ctx context.Context, c store.AuthCode) error {
	s.note(c.GrantID, c.Hash)
	return s.Memory.SaveCode(ctx, c)
}

func (s *revokeSnapshot) Code(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	if s.isHidden(hash) {
		return store.AuthCode{}, store.ErrNotFound
	}
	return s.Memory.Code(ctx, grantID, hash)
}

func (s *revokeSnapshot) ConsumeCode(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	if s.isHidden(hash) {
		return store.AuthCode{}, store.ErrNotFound
	}
	return s.Memory.ConsumeCode(ctx, grantID, hash)
}

func (s *revokeSnapshot) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	s.note(t.GrantID, t.Hash)
	return s.Memory.SaveAccessToken(ctx, t)
}

func (s *revokeSnapshot) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	if s.isHidden(hash) {
		return store.AccessToken{}, store.ErrNotFound
	}
	return s.Memory.AccessToken(ctx, hash)
}

// revokeForgets revokes a grant by forgetting it, leaving no tombstone: a
// save of its ID succeeds, and the old grant and its records come back.
type revokeForgets struct{ *revokeMissesRefresh }

func newRevokeForgets(m *store.Memory) *revokeForgets {
	return &revokeForgets{newRevokeMissesRefresh(m)}
}

func (s *revokeForgets) SaveGrant(ctx context.Context, g store.Grant) error {
	s.mu.Lock()
	forgotten := s.revoked[g.ID]
	delete(s.revoked, g.ID)
	s.mu.Unlock()
	if forgotten {
		return nil // the ID looks free; the old records are still there
	}
	return s.Memory.SaveGrant(ctx, g)
}

func (s *revokeForgets) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	if s.isRevoked(grantID) {
		return store.Grant{}, store.ErrNotFound
	}
	return s.Memory.RotateRefreshToken(ctx, grantID, oldHash, next)
}

// codeReadConsumes consumes a code when it is only read.
type codeReadConsumes struct{ *store.Memory }

func (s *codeReadConsumes) Code(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	return s.Memory.ConsumeCode(ctx, grantID, hash)
}

// foldsCase keys access tokens by their lower-cased hash.
type foldsCase struct {
	*store.Memory

	mu       sync.Mutex
	original map[string]string // folded hash to the saved one
}

func newFoldsCase(m *store.Memory) *foldsCase {
	return &foldsCase{Memory: m, original: make(map[string]string)}
}

func (s *foldsCase) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	folded := strings.ToLower(t.Hash)
	s.mu.Lock()
	s.original[folded] = t.Hash
	s.mu.Unlock()
	t.Hash = folded
	return s.Memory.SaveAccessToken(ctx, t)
}

func (s *foldsCase) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	folded := strings.ToLower(hash)
	t, err := s.Memory.AccessToken(ctx, folded)
	if err == nil {
		s.mu.Lock()
		t.Hash = s.original[folded]
		s.mu.Unlock()
	}
	return t, err
}

// prefixRequests finds a pending request by any prefix of its ID.
type prefixRequests struct {
	*store.Memory

	mu  sync.Mutex
	ids []string
}

func newPrefixRequests(m *store.Memory) *prefixRequests { return &prefixRequests{Memory: m} }

func (s *prefixRequests) SaveAuthRequest(ctx context.Context, r store.AuthRequest) error {
	s.mu.Lock()
	s.ids = append(s.ids, r.ID)
	s.mu.Unlock()
	return s.Memory.SaveAuthRequest(ctx, r)
}

func (s *prefixRequests) match(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, full := range s.ids {
		if strings.HasPrefix(full, id) {
			return full
		}
	}
	return id
}

func (s *prefixRequests) AuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	return s.Memory.AuthRequest(ctx, s.match(id))
}

func (s *prefixRequests) ConsumeAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	return s.Memory.ConsumeAuthRequest(ctx, s.match(id))
}

// joinedConsents keys consents by subject + ":" + client ID, so that
// ("a:b", "c") and ("a", "b:c") are one consent.
type joinedConsents struct {
	*store.Memory

	mu       sync.Mutex
	consents map[string]store.Consent
}

func newJoinedConsents(m *store.Memory) *joinedConsents {
	return &joinedConsents{Memory: m, consents: make(map[string]store.Consent)}
}

func (s *joinedConsents) SaveConsent(_ context.Context, c store.Consent) error {
	if c.Subject == "" || c.ClientID == "" {
		return store.ErrInvalid
	}
	if !c.ExpiresAt.After(time.Now()) {
		return store.ErrExpired
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consents[c.Subject+":"+c.ClientID] = deepCopy(c)
	return nil
}

func (s *joinedConsents) Consent(_ context.Context, subject, clientID string) (store.Consent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.consents[subject+":"+clientID]
	if !ok || !time.Now().Before(c.ExpiresAt) {
		return store.Consent{}, store.ErrNotFound
	}
	return deepCopy(c), nil
}

func (s *joinedConsents) DeleteConsent(_ context.Context, subject, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.consents, subject+":"+clientID)
	return nil
}

// replaceKeepsExpiry replaces a live pending request or consent but keeps
// the expiry of the one it replaces, as a cache whose replace keeps the
// entry's TTL does.
type replaceKeepsExpiry struct{ *store.Memory }

func (s *replaceKeepsExpiry) SaveAuthRequest(ctx context.Context, r store.AuthRequest) error {
	if old, err := s.Memory.AuthRequest(ctx, r.ID); err == nil {
		r.ExpiresAt = old.ExpiresAt
	}
	return s.Memory.SaveAuthRequest(ctx, r)
}

func (s *replaceKeepsExpiry) SaveConsent(ctx context.Context, c store.Consent) error {
	if old, err := s.Memory.Consent(ctx, c.Subject, c.ClientID); err == nil {
		c.ExpiresAt = old.ExpiresAt
	}
	return s.Memory.SaveConsent(ctx, c)
}

// lostUpdates keeps clients in a map it replaces on every save: it copies
// the current map, adds the client and stores the copy. Two saves at once
// copy the same map and one of them is lost. There is no data race for
// the race detector to see.
type lostUpdates struct {
	*store.Memory
	gap *rendezvous

	mu      sync.Mutex
	clients map[string]store.Client
}

func newLostUpdates(m *store.Memory) *lostUpdates {
	return &lostUpdates{Memory: m, gap: newRendezvous(), clients: make(map[string]store.Client)}
}

func (s *lostUpdates) SaveClient(_ context.Context, c store.Client) error {
	s.mu.Lock()
	next := make(map[string]store.Client, len(s.clients)+1)
	for k, v := range s.clients {
		next[k] = v
	}
	s.mu.Unlock()
	next[c.ID] = deepCopy(c)
	s.gap.meet()
	s.mu.Lock()
	s.clients = next
	s.mu.Unlock()
	return nil
}

func (s *lostUpdates) Client(_ context.Context, id string) (store.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return store.Client{}, store.ErrNotFound
	}
	return deepCopy(c), nil
}

// dropsHistory saves a grant without the rotation history it is given
// (PreviousRefreshHash and RotatedAt), as a store that assumes a new grant
// has never rotated.
type dropsHistory struct{ *store.Memory }

func (s *dropsHistory) SaveGrant(ctx context.Context, g store.Grant) error {
	g.PreviousRefreshHash, g.RotatedAt = "", time.Time{}
	return s.Memory.SaveGrant(ctx, g)
}

// The revocation races below are ordered by the fake clock of a
// testing/synctest bubble: a revocation waits revokeDelay before it starts,
// and the racing step of a broken save or rotation waits stepDelay between
// its read and its write. Every racer released at once therefore reads
// before the revocation and writes after it, every time.
const (
	revokeDelay = time.Millisecond
	stepDelay   = 2 * time.Millisecond
)

// codeTable keeps codes for the broken stores that replace the Memory's:
// keyed by key(grantID, hash), checked against their grant in grants on
// save (and waiting insertDelay between that check and the insert), and on
// reads only when readsCheckGrant is set.
type codeTable struct {
	grants          store.GrantStore
	key             func(grantID, hash string) string
	readsCheckGrant bool
	insertDelay     time.Duration

	mu    sync.Mutex
	codes map[string]tableCode
}

type tableCode struct {
	c        store.AuthCode
	consumed bool
}

func newCodeTable(grants store.GrantStore, key func(grantID, hash string) string) *codeTable {
	return &codeTable{grants: grants, key: key, codes: make(map[string]tableCode)}
}

func (t *codeTable) save(ctx context.Context, c store.AuthCode) error {
	switch {
	case c.Hash == "" || c.GrantID == "":
		return store.ErrInvalid
	case !c.ExpiresAt.After(time.Now()):
		return store.ErrExpired
	}
	g, err := t.grants.Grant(ctx, c.GrantID)
	if err != nil {
		return err
	}
	if c.ExpiresAt.After(g.ExpiresAt) {
		return store.ErrInvalid
	}
	time.Sleep(t.insertDelay)
	t.mu.Lock()
	defer t.mu.Unlock()
	k := t.key(c.GrantID, c.Hash)
	if old, ok := t.codes[k]; ok && time.Now().Before(old.c.ExpiresAt) {
		return store.ErrAlreadyExists
	}
	t.codes[k] = tableCode{c: c}
	return nil
}

func (t *codeTable) read(ctx context.Context, grantID, hash string, consume bool) (store.AuthCode, error) {
	if t.readsCheckGrant {
		if _, err := t.grants.Grant(ctx, grantID); err != nil {
			return store.AuthCode{}, store.ErrNotFound
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	k := t.key(grantID, hash)
	e, ok := t.codes[k]
	switch {
	case !ok || !time.Now().Before(e.c.ExpiresAt):
		return store.AuthCode{}, store.ErrNotFound
	case e.consumed:
		return e.c, store.ErrReused
	}
	if consume {
		t.codes[k] = tableCode{c: e.c, consumed: true}
	}
	return e.c, nil
}

// deleteGrant deletes every code of grant id.
func (t *codeTable) deleteGrant(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, e := range t.codes {
		if e.c.GrantID == id {
			delete(t.codes, k)
		}
	}
}

// revokeDeletes revokes a grant by deleting its codes and access tokens,
// and reads them without looking at their grant. A save checks that the
// grant is live, then inserts in a second step: a save that checked before
// a revocation and inserts after it leaves a record the revocation missed.
type revokeDeletes struct {
	*store.Memory
	codes *codeTable

	mu     sync.Mutex
	tokens map[string]store.AccessToken
}

func newRevokeDeletes(m *store.Memory) *revokeDeletes {
	codes := newCodeTable(m, func(grantID, hash string) string { return strconv.Quote(grantID) + hash })
	codes.insertDelay = stepDelay
	return &revokeDeletes{Memory: m, codes: codes, tokens: make(map[string]store.AccessToken)}
}

func (s *revokeDeletes) SaveCode(ctx context.Context, c store.AuthCode) error {
	return s.codes.save(ctx, c)
}

func (s *revokeDeletes) Code(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	return s.codes.read(ctx, grantID, hash, false)
}

func (s *revokeDeletes) ConsumeCode(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	return s.codes.read(ctx, grantID, hash, true)
}

func (s *revokeDeletes) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	switch {
	case t.Hash == "":
		return store.ErrInvalid
	case !t.ExpiresAt.After(time.Now()):
		return store.ErrExpired
	}
	if t.GrantID != "" {
		g, err := s.Memory.Grant(ctx, t.GrantID)
		if err != nil {
			return err
		}
		if t.ExpiresAt.After(g.ExpiresAt) {
			return store.ErrInvalid
		}
	}
	time.Sleep(stepDelay)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.tokens[t.Hash]; ok && time.Now().Before(old.ExpiresAt) {
		return store.ErrAlreadyExists
	}
	s.tokens[t.Hash] = deepCopy(t)
	return nil
}

func (s *revokeDeletes) AccessToken(_ context.Context, hash string) (store.AccessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[hash]
	if !ok || !time.Now().Before(t.ExpiresAt) {
		return store.AccessToken{}, store.ErrNotFound
	}
	return deepCopy(t), nil
}

func (s *revokeDeletes) DeleteAccessToken(_ context.Context, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, hash)
	return nil
}

func (s *revokeDeletes) RevokeGrant(ctx context.Context, id string) error {
	time.Sleep(revokeDelay)
	if err := s.Memory.RevokeGrant(ctx, id); err != nil || id == "" {
		return err
	}
	s.codes.deleteGrant(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, t := range s.tokens {
		if t.GrantID == id {
			delete(s.tokens, h)
		}
	}
	return nil
}

// rotateRewrites keeps grants in a table of its own and rotates a refresh
// token by reading the grant and then writing the rotated grant back whole,
// whatever happened in between. Rotations hold a lock of their own across
// the two steps, so they are atomic among themselves, but revocations do
// not take it: a revocation between a rotation's read and its write is
// overwritten, and the revoked grant comes back. Codes and access tokens
// are the Memory's, which holds every grant too and revokes it.
type rotateRewrites struct {
	*store.Memory
	rotating chan struct{} // the rotations' lock, a channel so that it blocks durably in a bubble

	mu     sync.Mutex
	grants map[string]rewrittenGrant
}

type rewrittenGrant struct {
	g       store.Grant
	revoked bool
}

func newRotateRewrites(m *store.Memory) *rotateRewrites {
	return &rotateRewrites{Memory: m, rotating: make(chan struct{}, 1), grants: make(map[string]rewrittenGrant)}
}

func (s *rotateRewrites) SaveGrant(ctx context.Context, g store.Grant) error {
	if err := s.Memory.SaveGrant(ctx, g); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants[g.ID] = rewrittenGrant{g: deepCopy(g)}
	return nil
}

func (s *rotateRewrites) Grant(_ context.Context, id string) (store.Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.grants[id]
	if !ok || e.revoked || !time.Now().Before(e.g.ExpiresAt) {
		return store.Grant{}, store.ErrNotFound
	}
	return deepCopy(e.g), nil
}

func (s *rotateRewrites) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	s.rotating <- struct{}{}
	defer func() { <-s.rotating }()
	g, err := s.Grant(ctx, grantID)
	now := time.Now()
	switch {
	case err != nil:
		return store.Grant{}, err
	case oldHash != g.RefreshHash:
		return g, store.ErrReused
	case oldHash != "" && !now.Before(g.RefreshExpiresAt):
		return store.Grant{}, store.ErrNotFound
	case next.Hash == "" || next.Hash == g.RefreshHash || next.IssuedAt.IsZero() || next.ExpiresAt.After(g.ExpiresAt):
		return store.Grant{}, store.ErrInvalid
	case !next.ExpiresAt.After(now):
		return store.Grant{}, store.ErrExpired
	}
	time.Sleep(stepDelay)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants[grantID] = rewrittenGrant{g: installed(g, oldHash, next)}
	return g, nil
}

func (s *rotateRewrites) RevokeGrant(ctx context.Context, id string) error {
	time.Sleep(revokeDelay)
	if err := s.Memory.RevokeGrant(ctx, id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.grants[id]; ok {
		s.grants[id] = rewrittenGrant{g: e.g, revoked: true}
	}
	return nil
}

// joinedCodes keys codes by grant ID and hash concatenated, so that
// ("g1a", "bc") and ("g1", "abc") are one code.
type joinedCodes struct {
	*store.Memory
	codes *codeTable
}

func newJoinedCodes(m *store.Memory) *joinedCodes {
	codes := newCodeTable(m, func(grantID, hash string) string { return grantID + hash })
	codes.readsCheckGrant = true
	return &joinedCodes{Memory: m, codes: codes}
}

func (s *joinedCodes) SaveCode(ctx context.Context, c store.AuthCode) error {
	return s.codes.save(ctx, c)
}

func (s *joinedCodes) Code(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	return s.codes.read(ctx, grantID, hash, false)
}

func (s *joinedCodes) ConsumeCode(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	return s.codes.read(ctx, grantID, hash, true)
}

// keysOutliveRecords keeps the key of every code and access token taken
// for staleExtra past the record's ExpiresAt, deleted tokens included, as a
// store does that judges a key taken by a cache entry whose TTL runs late.
type keysOutliveRecords struct {
	*store.Memory

	mu    sync.Mutex
	taken map[[3]string]time.Time // kind, grant ID and hash, to when the key is free
}

func newKeysOutliveRecords(m *store.Memory) *keysOutliveRecords {
	return &keysOutliveRecords{Memory: m, taken: make(map[[3]string]time.Time)}
}

// save saves a record under key with the given expiry unless the key is
// still taken.
func (s *keysOutliveRecords) save(key [3]string, expiresAt time.Time, save func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Now().Before(s.taken[key]) {
		return store.ErrAlreadyExists
	}
	if err := save(); err != nil {
		return err
	}
	s.taken[key] = expiresAt.Add(staleExtra)
	return nil
}

func (s *keysOutliveRecords) SaveCode(ctx context.Context, c store.AuthCode) error {
	return s.save([3]string{"code", c.GrantID, c.Hash}, c.ExpiresAt, func() error { return s.Memory.SaveCode(ctx, c) })
}

func (s *keysOutliveRecords) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	return s.save([3]string{"access", "", t.Hash}, t.ExpiresAt, func() error { return s.Memory.SaveAccessToken(ctx, t) })
}
