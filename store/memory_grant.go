package store

import (
	"context"
	"fmt"
	"time"
)

// grantEntry is a stored grant. Entries are never modified: a rotation or a
// revocation stores a new one, so readers without the shard's lock may hold
// them.
type grantEntry struct {
	g Grant
	// revoked marks a tombstone, which keeps only the grant's ID and
	// ExpiresAt: the ID stays taken, and records of the grant unreadable,
	// until then.
	revoked bool
}

// liveGrant returns the entry of the grant with the given ID when it is
// live at now: stored, not revoked and not expired.
func (m *Memory) liveGrant(id string, now time.Time) (*grantEntry, bool) {
	v, ok := m.grants.get(id)
	if !ok {
		return nil, false
	}
	e := v.(*grantEntry)
	if e.revoked || !now.Before(e.g.ExpiresAt) {
		return nil, false
	}
	return e, true
}

// SaveGrant implements [GrantStore].
func (m *Memory) SaveGrant(_ context.Context, g Grant) error {
	if g.ID == "" || g.ClientID == "" {
		return fmt.Errorf("%w: grant without id or client", ErrInvalid)
	}
	now := time.Now()
	d, err := ttl(g.ExpiresAt, now)
	if err != nil {
		return err
	}
	if g.RefreshHash != "" && (g.RefreshExpiresAt.IsZero() || g.RefreshExpiresAt.After(g.ExpiresAt)) {
		return fmt.Errorf("%w: refresh token outlives its grant", ErrInvalid)
	}
	e := &grantEntry{g: cloneGrant(g)}
	s := m.grants.shard(g.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	// go-cache's own expiry of an entry runs a little after ExpiresAt: an
	// ID is judged free by the exact time, tombstones included.
	if v, ok := s.c.Get(g.ID); ok && now.Before(v.(*grantEntry).g.ExpiresAt) {
		return ErrAlreadyExists
	}
	s.c.Set(g.ID, e, d)
	return nil
}

// Grant implements [GrantStore].
func (m *Memory) Grant(_ context.Context, id string) (Grant, error) {
	e, ok := m.liveGrant(id, time.Now())
	if !ok {
		return Grant{}, ErrNotFound
	}
	return cloneGrant(e.g), nil
}

// RotateRefreshToken implements [GrantStore]. It replaces the grant's one
// entry, so a grant takes the same memory after any number of rotations.
func (m *Memory) RotateRefreshToken(_ context.Context, grantID, oldHash string, next RefreshState) (Grant, error) {
	now := time.Now()
	s := m.grants.shard(grantID)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := m.liveGrant(grantID, now)
	if !ok {
		return Grant{}, ErrNotFound
	}
	g := e.g
	if oldHash != g.RefreshHash {
		return cloneGrant(g), ErrReused
	}
	if oldHash != "" && !now.Before(g.RefreshExpiresAt) {
		return Grant{}, ErrNotFound
	}
	if next.Hash == "" || next.Hash == g.RefreshHash || next.IssuedAt.IsZero() || next.ExpiresAt.After(g.ExpiresAt) {
		return Grant{}, fmt.Errorf("%w: refresh token without hash or issue time, or outliving its grant", ErrInvalid)
	}
	if _, err := ttl(next.ExpiresAt, now); err != nil {
		return Grant{}, err
	}
	d, err := ttl(g.ExpiresAt, now)
	if err != nil {
		return Grant{}, ErrNotFound // unreachable: the grant is live at now
	}
	// The new entry shares the old one's slices; neither is ever modified.
	rotated := g
	rotated.RefreshHash = next.Hash
	rotated.RefreshIssuedAt = next.IssuedAt
	rotated.RefreshExpiresAt = next.ExpiresAt
	if oldHash != "" {
		rotated.PreviousRefreshHash = oldHash
		rotated.RotatedAt = next.IssuedAt
		rotated.RefreshCount++
	}
	s.c.Set(grantID, &grantEntry{g: rotated}, d)
	return cloneGrant(g), nil
}

// RevokeGrant implements [GrantStore]. The grant's entry becomes a
// tombstone until its ExpiresAt; its codes and access tokens stay in memory
// until they expire (never after the grant) but every read of them checks
// the grant, so RevokeGrant locks the grant's shard alone.
func (m *Memory) RevokeGrant(_ context.Context, id string) error {
	now := time.Now()
	s := m.grants.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := m.liveGrant(id, now)
	if !ok {
		return nil
	}
	d, err := ttl(e.g.ExpiresAt, now)
	if err != nil {
		return nil // unreachable: the grant is live at now
	}
	s.c.Set(id, &grantEntry{g: Grant{ID: id, ExpiresAt: e.g.ExpiresAt}, revoked: true}, d)
	return nil
}
