package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kunci/kunci/store"
)

func newMemory(t *testing.T) *store.Memory {
	m := store.NewMemory()
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func TestRunMemory(t *testing.T) {
	Run(t, func(t *testing.T) store.Store { return newMemory(t) })
}

// TestSuiteNames pins the subtest names implementers pass to -run.
func TestSuiteNames(t *testing.T) {
	seen := make(map[string]bool)
	for _, g := range suite() {
		for _, c := range g.checks {
			name := g.name + "/" + c.name
			if seen[name] {
				t.Errorf("check %s is listed twice", name)
			}
			seen[name] = true
		}
	}
	for _, name := range []string{
		"Client/NotFound", "Client/SaveReplace", "Code/ConsumeOnce", "Code/ConsumeConcurrent",
		"Code/ReuseReported", "Code/Expired", "Code/Duplicate", "Access/SaveLookup", "Access/Expired",
		"Access/Delete", "Refresh/Rotate", "Refresh/RotateConcurrent", "Refresh/ReuseDetected",
		"Refresh/RotateExpired", "Refresh/RotateOtherGrantInvalid", "Refresh/RequiresGrant",
		"Grant/Revoke", "Grant/RevokeUnknown", "Expiry/Code", "Expiry/AccessToken",
		"Expiry/RefreshToken", "Records/CopyIsolated", "AuthRequest/ConsumeConcurrent",
		"Consent/Expired",
	} {
		if !seen[name] {
			t.Errorf("check %s is missing", name)
		}
	}
}

// lookup returns the check with the given "Group/Name".
func lookup(t *testing.T, name string) check {
	t.Helper()
	for _, g := range suite() {
		for _, c := range g.checks {
			if g.name+"/"+c.name == name {
				return c.fn
			}
		}
	}
	t.Fatalf("no check named %s", name)
	return nil
}

// TestChecksCatchBrokenStores feeds the checks stores that each break one
// contract, and requires the checks for that contract to fail. Each case
// also names checks the broken store still passes, which shows that the
// failures come from the defect and not from a faulty fake.
func TestChecksCatchBrokenStores(t *testing.T) {
	tests := []struct {
		name     string
		newStore func(t *testing.T) store.Store
		fail     []string
		pass     []string
	}{
		{
			name:     "consume and rotate read then write in two steps",
			newStore: func(t *testing.T) store.Store { return newNonAtomic(newMemory(t)) },
			fail:     []string{"Code/ConsumeConcurrent", "Refresh/RotateConcurrent", "AuthRequest/ConsumeConcurrent"},
			pass:     []string{"Access/SaveLookup", "Consent/SaveGet"},
		},
		{
			name:     "reads trust the cache TTL and never check ExpiresAt",
			newStore: func(t *testing.T) store.Store { return &staleReads{newMemory(t)} },
			fail: []string{"Code/Expired", "Access/Expired", "Refresh/Expired", "Refresh/RotateExpired",
				"AuthRequest/Expired", "Consent/Expired"},
			pass: []string{"Code/ConsumeOnce", "Access/SaveLookup", "Refresh/Rotate", "AuthRequest/SaveGet", "Consent/SaveGet"},
		},
		{
			name:     "saved records keep the caller's slices",
			newStore: func(t *testing.T) store.Store { return &aliasing{Memory: newMemory(t), keepInput: true} },
			fail:     []string{"Records/CopyIsolated"},
			pass:     []string{"Client/SaveLookup", "Client/SaveReplace", "Access/SaveLookup"},
		},
		{
			name:     "reads return the stored slices",
			newStore: func(t *testing.T) store.Store { return &aliasing{Memory: newMemory(t)} },
			fail:     []string{"Records/CopyIsolated"},
			pass:     []string{"Client/SaveLookup", "Client/SaveReplace", "Access/SaveLookup"},
		},
		{
			name:     "revocation misses refresh tokens",
			newStore: func(t *testing.T) store.Store { return newRevokeGaps(newMemory(t), false) },
			fail:     []string{"Grant/Revoke", "Grant/RevokeUnknown"},
			pass:     []string{"Refresh/Rotate", "Access/NoGrant"},
		},
		{
			name:     "revocation misses retired refresh tokens",
			newStore: func(t *testing.T) store.Store { return newRevokeGaps(newMemory(t), true) },
			fail:     []string{"Grant/Revoke"},
			pass:     []string{"Grant/RevokeUnknown", "Refresh/Rotate"},
		},
		{
			name:     "revocation hides only records saved before it",
			newStore: func(t *testing.T) store.Store { return newRevokeSnapshot(newMemory(t)) },
			fail:     []string{"Grant/Revoke", "Grant/RevokeUnknown"},
			pass:     []string{"Refresh/Rotate", "Code/ConsumeOnce"},
		},
		{
			name:     "rotation forgets the rotated token",
			newStore: func(t *testing.T) store.Store { return &forgetsRotated{newMemory(t)} },
			fail:     []string{"Refresh/ReuseDetected", "Refresh/Rotate", "Refresh/RotateConcurrent"},
			pass:     []string{"Refresh/SaveLookup", "Refresh/RotateOtherGrantInvalid"},
		},
		{
			name:     "saves of expired records are accepted",
			newStore: func(t *testing.T) store.Store { return &acceptsExpired{newMemory(t)} },
			fail: []string{"Expiry/Code", "Expiry/AccessToken", "Expiry/RefreshToken",
				"Expiry/AuthRequest", "Expiry/Consent"},
			pass: []string{"Access/SaveLookup", "Access/Expired", "Code/ConsumeOnce"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range tc.fail {
				if err := lookup(t, name)(t.Context(), tc.newStore(t)); err == nil {
					t.Errorf("%s passed, want it to fail", name)
				} else {
					t.Logf("%s failed as it should:\n%v", name, err)
				}
			}
			for _, name := range tc.pass {
				if err := lookup(t, name)(t.Context(), tc.newStore(t)); err != nil {
					t.Errorf("%s failed, want it to pass: %v", name, err)
				}
			}
		})
	}
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

// nonAtomic consumes codes and requests and rotates refresh tokens by
// reading first and writing afterwards, as two steps.
type nonAtomic struct {
	*store.Memory
	codeGap, requestGap, rotateGap *rendezvous

	mu       sync.Mutex
	codes    map[string]store.AuthCode
	consumed map[string]bool
}

func newNonAtomic(m *store.Memory) *nonAtomic {
	return &nonAtomic{
		Memory: m, codeGap: newRendezvous(), requestGap: newRendezvous(), rotateGap: newRendezvous(),
		codes: make(map[string]store.AuthCode), consumed: make(map[string]bool),
	}
}

func (s *nonAtomic) SaveCode(_ context.Context, c store.AuthCode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[c.Hash] = c
	return nil
}

func (s *nonAtomic) ConsumeCode(_ context.Context, hash string) (store.AuthCode, error) {
	s.mu.Lock()
	c, ok := s.codes[hash]
	used := s.consumed[hash]
	s.mu.Unlock()
	if !ok {
		return store.AuthCode{}, store.ErrNotFound
	}
	if used {
		return c, store.ErrReused
	}
	s.codeGap.meet()
	s.mu.Lock()
	s.consumed[hash] = true
	s.mu.Unlock()
	return c, nil
}

func (s *nonAtomic) ConsumeAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	r, err := s.Memory.AuthRequest(ctx, id)
	if err != nil {
		return r, err
	}
	s.requestGap.meet()
	_, _ = s.Memory.ConsumeAuthRequest(ctx, id) // a delete: "already gone" is no error
	return r, nil
}

func (s *nonAtomic) RotateRefreshToken(ctx context.Context, oldHash string, next store.RefreshToken) (store.RefreshToken, error) {
	old, err := s.Memory.RefreshToken(ctx, oldHash)
	if err != nil {
		return old, err
	}
	if old.Rotated() {
		return old, store.ErrReused
	}
	s.rotateGap.meet()
	if _, err := s.Memory.RotateRefreshToken(ctx, oldHash, next); errors.Is(err, store.ErrReused) {
		// Marking the old token rotated again is not an error for this
		// store; it saves the successor all the same.
		err = s.Memory.SaveRefreshToken(ctx, next)
		return old, err
	} else if err != nil {
		return store.RefreshToken{}, err
	}
	return old, nil
}

// staleReads saves every record with an hour added to its expiry, as if it
// trusted a cache TTL that outlives ExpiresAt, and reads return the record
// with its real expiry without checking it.
type staleReads struct{ *store.Memory }

const staleExtra = time.Hour

func (s *staleReads) SaveCode(ctx context.Context, c store.AuthCode) error {
	c.ExpiresAt = c.ExpiresAt.Add(staleExtra)
	return s.Memory.SaveCode(ctx, c)
}

func (s *staleReads) ConsumeCode(ctx context.Context, hash string) (store.AuthCode, error) {
	c, err := s.Memory.ConsumeCode(ctx, hash)
	c.ExpiresAt = c.ExpiresAt.Add(-staleExtra)
	return c, err
}

func (s *staleReads) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	t.ExpiresAt = t.ExpiresAt.Add(staleExtra)
	return s.Memory.SaveAccessToken(ctx, t)
}

func (s *staleReads) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	t, err := s.Memory.AccessToken(ctx, hash)
	t.ExpiresAt = t.ExpiresAt.Add(-staleExtra)
	return t, err
}

func (s *staleReads) SaveRefreshToken(ctx context.Context, t store.RefreshToken) error {
	t.ExpiresAt = t.ExpiresAt.Add(staleExtra)
	return s.Memory.SaveRefreshToken(ctx, t)
}

func (s *staleReads) RefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	t, err := s.Memory.RefreshToken(ctx, hash)
	t.ExpiresAt = t.ExpiresAt.Add(-staleExtra)
	return t, err
}

func (s *staleReads) RotateRefreshToken(ctx context.Context, oldHash string, next store.RefreshToken) (store.RefreshToken, error) {
	next.ExpiresAt = next.ExpiresAt.Add(staleExtra)
	old, err := s.Memory.RotateRefreshToken(ctx, oldHash, next)
	old.ExpiresAt = old.ExpiresAt.Add(-staleExtra)
	return old, err
}

func (s *staleReads) SaveAuthRequest(ctx context.Context, r store.AuthRequest) error {
	r.ExpiresAt = r.ExpiresAt.Add(staleExtra)
	return s.Memory.SaveAuthRequest(ctx, r)
}

func (s *staleReads) AuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	r, err := s.Memory.AuthRequest(ctx, id)
	r.ExpiresAt = r.ExpiresAt.Add(-staleExtra)
	return r, err
}

func (s *staleReads) ConsumeAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	r, err := s.Memory.ConsumeAuthRequest(ctx, id)
	r.ExpiresAt = r.ExpiresAt.Add(-staleExtra)
	return r, err
}

func (s *staleReads) SaveConsent(ctx context.Context, c store.Consent) error {
	c.ExpiresAt = c.ExpiresAt.Add(staleExtra)
	return s.Memory.SaveConsent(ctx, c)
}

func (s *staleReads) Consent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	c, err := s.Memory.Consent(ctx, subject, clientID)
	c.ExpiresAt = c.ExpiresAt.Add(-staleExtra)
	return c, err
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

func (s *aliasing) SaveAccessToken(_ context.Context, t store.AccessToken) error {
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

func (s *aliasing) AccessToken(_ context.Context, hash string) (store.AccessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[hash]
	if !ok {
		return store.AccessToken{}, store.ErrNotFound
	}
	if s.keepInput {
		t = deepCopy(t)
	}
	return t, nil
}

// revokeGaps revokes a grant by hiding its codes and access tokens but, with
// retiredOnly false, none of its refresh tokens; with retiredOnly true it
// hides live refresh tokens and misses only retired ones.
type revokeGaps struct {
	*store.Memory
	retiredOnly bool

	mu      sync.Mutex
	revoked map[string]bool
}

func newRevokeGaps(m *store.Memory, retiredOnly bool) *revokeGaps {
	return &revokeGaps{Memory: m, retiredOnly: retiredOnly, revoked: make(map[string]bool)}
}

func (s *revokeGaps) isRevoked(grantID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revoked[grantID]
}

func (s *revokeGaps) RevokeGrant(_ context.Context, grantID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[grantID] = true
	return nil
}

func (s *revokeGaps) ConsumeCode(ctx context.Context, hash string) (store.AuthCode, error) {
	c, err := s.Memory.ConsumeCode(ctx, hash)
	if s.isRevoked(c.GrantID) {
		return store.AuthCode{}, store.ErrNotFound
	}
	return c, err
}

func (s *revokeGaps) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	t, err := s.Memory.AccessToken(ctx, hash)
	if err == nil && t.GrantID != "" && s.isRevoked(t.GrantID) {
		return store.AccessToken{}, store.ErrNotFound
	}
	return t, err
}

func (s *revokeGaps) RefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	t, err := s.Memory.RefreshToken(ctx, hash)
	if err == nil && s.retiredOnly && !t.Rotated() && s.isRevoked(t.GrantID) {
		return store.RefreshToken{}, store.ErrNotFound
	}
	return t, err
}

func (s *revokeGaps) RotateRefreshToken(ctx context.Context, oldHash string, next store.RefreshToken) (store.RefreshToken, error) {
	if _, err := s.RefreshToken(ctx, oldHash); err != nil {
		return store.RefreshToken{}, err
	}
	return s.Memory.RotateRefreshToken(ctx, oldHash, next)
}

// revokeSnapshot revokes a grant by hiding the records it holds at that
// moment; records of the grant saved afterwards stay readable.
type revokeSnapshot struct {
	*store.Memory

	mu      sync.Mutex
	byGrant map[string][]string // grant ID to the hashes saved for it
	hidden  map[string]bool
}

func newRevokeSnapshot(m *store.Memory) *revokeSnapshot {
	return &revokeSnapshot{Memory: m, byGrant: make(map[string][]string), hidden: make(map[string]bool)}
}

func (s *revokeSnapshot) note(grantID, hash string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byGrant[grantID] = append(s.byGrant[grantID], hash)
}

func (s *revokeSnapshot) isHidden(hash string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hidden[hash]
}

func (s *revokeSnapshot) RevokeGrant(_ context.Context, grantID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.byGrant[grantID] {
		s.hidden[h] = true
	}
	return nil
}

func (s *revokeSnapshot) SaveCode(ctx context.Context, c store.AuthCode) error {
	s.note(c.GrantID, c.Hash)
	return s.Memory.SaveCode(ctx, c)
}

func (s *revokeSnapshot) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	s.note(t.GrantID, t.Hash)
	return s.Memory.SaveAccessToken(ctx, t)
}

func (s *revokeSnapshot) SaveRefreshToken(ctx context.Context, t store.RefreshToken) error {
	s.note(t.GrantID, t.Hash)
	return s.Memory.SaveRefreshToken(ctx, t)
}

func (s *revokeSnapshot) ConsumeCode(ctx context.Context, hash string) (store.AuthCode, error) {
	if s.isHidden(hash) {
		return store.AuthCode{}, store.ErrNotFound
	}
	return s.Memory.ConsumeCode(ctx, hash)
}

func (s *revokeSnapshot) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	if s.isHidden(hash) {
		return store.AccessToken{}, store.ErrNotFound
	}
	return s.Memory.AccessToken(ctx, hash)
}

func (s *revokeSnapshot) RefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	if s.isHidden(hash) {
		return store.RefreshToken{}, store.ErrNotFound
	}
	return s.Memory.RefreshToken(ctx, hash)
}

func (s *revokeSnapshot) RotateRefreshToken(ctx context.Context, oldHash string, next store.RefreshToken) (store.RefreshToken, error) {
	if s.isHidden(oldHash) {
		return store.RefreshToken{}, store.ErrNotFound
	}
	s.note(next.GrantID, next.Hash)
	return s.Memory.RotateRefreshToken(ctx, oldHash, next)
}

// forgetsRotated treats a rotated refresh token as unknown: rotation deletes
// the old token instead of retiring it, so reuse goes undetected.
type forgetsRotated struct{ *store.Memory }

func (s *forgetsRotated) RefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	t, err := s.Memory.RefreshToken(ctx, hash)
	if err == nil && t.Rotated() {
		return store.RefreshToken{}, store.ErrNotFound
	}
	return t, err
}

func (s *forgetsRotated) RotateRefreshToken(ctx context.Context, oldHash string, next store.RefreshToken) (store.RefreshToken, error) {
	old, err := s.Memory.RotateRefreshToken(ctx, oldHash, next)
	if errors.Is(err, store.ErrReused) {
		return store.RefreshToken{}, store.ErrNotFound
	}
	return old, err
}

// acceptsExpired saves records that have expired, as a store does that
// computes a lifetime with time.Until(ExpiresAt) and, like go-cache, takes a
// lifetime of zero or less to mean "never expires". Live records expire as
// they should.
type acceptsExpired struct{ *store.Memory }

func (s *acceptsExpired) SaveCode(ctx context.Context, c store.AuthCode) error {
	c.ExpiresAt = immortal(c.ExpiresAt)
	return s.Memory.SaveCode(ctx, c)
}

func (s *acceptsExpired) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	t.ExpiresAt = immortal(t.ExpiresAt)
	return s.Memory.SaveAccessToken(ctx, t)
}

func (s *acceptsExpired) SaveRefreshToken(ctx context.Context, t store.RefreshToken) error {
	t.ExpiresAt = immortal(t.ExpiresAt)
	return s.Memory.SaveRefreshToken(ctx, t)
}

func (s *acceptsExpired) SaveAuthRequest(ctx context.Context, r store.AuthRequest) error {
	r.ExpiresAt = immortal(r.ExpiresAt)
	return s.Memory.SaveAuthRequest(ctx, r)
}

func (s *acceptsExpired) SaveConsent(ctx context.Context, c store.Consent) error {
	c.ExpiresAt = immortal(c.ExpiresAt)
	return s.Memory.SaveConsent(ctx, c)
}

// immortal turns an expiry that has passed into one far ahead, which is what
// a TTL of zero or less means to go-cache.
func immortal(expiresAt time.Time) time.Time {
	if time.Until(expiresAt) <= 0 {
		return time.Now().Add(100 * 365 * 24 * time.Hour)
	}
	return expiresAt
}
