package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// codeEntry is a stored authorization code. Entries are never modified:
// consuming a code stores a new entry.
type codeEntry struct {
	rec      AuthCode
	consumed bool
}

// codeKey names the code of a grant. The grant ID's length comes first, so
// that no two (grant, hash) pairs share a key whatever bytes they hold.
func codeKey(grantID, hash string) string {
	return strconv.Itoa(len(grantID)) + ":" + grantID + hash
}

// SaveCode implements [CodeStore].
func (m *Memory) SaveCode(_ context.Context, c AuthCode) error {
	if c.Hash == "" || c.GrantID == "" {
		return fmt.Errorf("%w: code without hash or grant", ErrInvalid)
	}
	now := time.Now()
	d, err := ttl(c.ExpiresAt, now)
	if err != nil {
		return err
	}
	// As in SaveAccessToken, a revocation after this check leaves the code
	// saved but unreadable.
	g, ok := m.liveGrant(c.GrantID, now)
	if !ok {
		return fmt.Errorf("%w: grant of the code", ErrNotFound)
	}
	if c.ExpiresAt.After(g.g.ExpiresAt) {
		return fmt.Errorf("%w: code outlives its grant", ErrInvalid)
	}
	key := codeKey(c.GrantID, c.Hash)
	s := m.codes.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.c.Get(key); ok && now.Before(v.(*codeEntry).rec.ExpiresAt) {
		return ErrAlreadyExists
	}
	s.c.Set(key, &codeEntry{rec: c}, d)
	return nil
}

// readCode returns the live entry of the code stored under key whose grant
// is live at now.
func (m *Memory) readCode(key, grantID string, now time.Time) (*codeEntry, bool) {
	v, ok := m.codes.get(key)
	if !ok {
		return nil, false
	}
	e := v.(*codeEntry)
	if !now.Before(e.rec.ExpiresAt) {
		return nil, false
	}
	if _, ok := m.liveGrant(grantID, now); !ok {
		return nil, false
	}
	return e, true
}

// Code implements [CodeStore].
func (m *Memory) Code(_ context.Context, grantID, hash string) (AuthCode, error) {
	e, ok := m.readCode(codeKey(grantID, hash), grantID, time.Now())
	if !ok {
		return AuthCode{}, ErrNotFound
	}
	if e.consumed {
		return e.rec, ErrReused
	}
	return e.rec, nil
}

// ConsumeCode implements [CodeStore].
func (m *Memory) ConsumeCode(_ context.Context, grantID, hash string) (AuthCode, error) {
	now := time.Now()
	key := codeKey(grantID, hash)
	s := m.codes.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := m.readCode(key, grantID, now)
	if !ok {
		return AuthCode{}, ErrNotFound
	}
	if e.consumed {
		return e.rec, ErrReused
	}
	d, err := ttl(e.rec.ExpiresAt, now)
	if err != nil {
		return AuthCode{}, ErrNotFound // unreachable: readCode found it live at now
	}
	s.c.Set(key, &codeEntry{rec: e.rec, consumed: true}, d)
	return e.rec, nil
}
