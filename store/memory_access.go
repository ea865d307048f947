package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"
)

// accessEntry is a stored access token, kept compact because a server may
// hold millions (48 bytes, plus one allocation for text). The hash is the
// cache key; grant ID, subject, JKT and claims share one string; the client
// ID, scopes and audience, which many tokens have in common, are interned;
// times are Unix microseconds. TestMemoryHeapPerAccessToken holds the whole
// token under 300 heap bytes; BenchmarkHeapPerAccessToken (memory_bench_test.go,
// `go test -run '^$' -bench HeapPerAccessToken ./store/`) reports what
// this packing costs per token (about 183 bytes), which is what keeps a
// million live tokens near 200 MB.
type accessEntry struct {
	text       string // grant ID, subject, JKT, then claims
	shape      *accessShape
	issuedAt   int64
	expiresAt  int64
	subjectLen uint32
	grantLen   uint16
	jktLen     uint16
}

func (e *accessEntry) grantID() string { return e.text[:e.grantLen] }

func (e *accessEntry) subject() string {
	return e.text[e.grantLen : uint32(e.grantLen)+e.subjectLen]
}

func (e *accessEntry) jkt() string {
	start := uint32(e.grantLen) + e.subjectLen
	return e.text[start : start+uint32(e.jktLen)]
}

func (e *accessEntry) claims() []byte {
	c := e.text[uint32(e.grantLen)+e.subjectLen+uint32(e.jktLen):]
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

// maxShapes bounds the table of interned token shapes. A table that reaches
// it is cleared by the next cleanup; tokens keep the shapes they point to.
const maxShapes = 4096

// shape returns the interned shape of a token.
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
	m.shapesMu.RLock()
	sh, ok := m.shapes[string(key)]
	m.shapesMu.RUnlock()
	if ok {
		return sh
	}
	sh = &accessShape{
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
	m.shapesMu.Lock()
	defer m.shapesMu.Unlock()
	if interned, ok := m.shapes[string(key)]; ok {
		return interned
	}
	if len(m.shapes) < maxShapes {
		// Past the bound a shape is kept by its token alone, so that
		// attacker-chosen combinations cannot grow the table for good.
		m.shapes[string(key)] = sh
	}
	return sh
}

// appendKeyPart appends s, prefixed with its length so that no two lists of
// strings give the same key.
func appendKeyPart(key []byte, s string) []byte {
	key = binary.AppendUvarint(key, uint64(len(s)))
	return append(key, s...)
}

// SaveAccessToken implements [AccessTokenStore].
func (m *Memory) SaveAccessToken(_ context.Context, t AccessToken) error {
	if t.Hash == "" {
		return fmt.Errorf("%w: access token without hash", ErrInvalid)
	}
	if len(t.GrantID) > math.MaxUint16 || len(t.JKT) > math.MaxUint16 || uint64(len(t.Subject)) > math.MaxUint32 {
		return fmt.Errorf("%w: access token grant id, subject or jkt too long", ErrInvalid)
	}
	now := time.Now()
	d, err := ttl(t.ExpiresAt, now)
	if err != nil {
		return err
	}
	// The grant is read without a lock: a revocation after this check
	// leaves the token saved but unreadable, as if it came first.
	if t.GrantID != "" {
		g, ok := m.liveGrant(t.GrantID, now)
		if !ok {
			return fmt.Errorf("%w: grant of the access token", ErrNotFound)
		}
		if t.ExpiresAt.After(g.g.ExpiresAt) {
			return fmt.Errorf("%w: access token outlives its grant", ErrInvalid)
		}
	}
	e := &accessEntry{
		text:       t.GrantID + t.Subject + t.JKT + string(t.Claims),
		shape:      m.shape(t.ClientID, t.Scopes, t.Audience),
		issuedAt:   t.IssuedAt.UnixMicro(),
		expiresAt:  t.ExpiresAt.UnixMicro(),
		subjectLen: uint32(len(t.Subject)),
		grantLen:   uint16(len(t.GrantID)),
		jktLen:     uint16(len(t.JKT)),
	}
	// The check and the write are under the shard's lock. The check is
	// AccessToken's, against this call's start, not go-cache's own
	// deadline, which its Add would take from a later clock reading: a
	// hash AccessToken already reports gone must be free here.
	s := m.access.shard(t.Hash)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.c.Get(t.Hash); ok && now.UnixMicro() < v.(*accessEntry).expiresAt {
		return ErrAlreadyExists
	}
	s.c.Set(t.Hash, e, d)
	return nil
}

// AccessToken implements [AccessTokenStore].
func (m *Memory) AccessToken(_ context.Context, hash string) (AccessToken, error) {
	now := time.Now()
	v, ok := m.access.get(hash)
	if !ok {
		return AccessToken{}, ErrNotFound
	}
	e := v.(*accessEntry)
	if now.UnixMicro() >= e.expiresAt {
		return AccessToken{}, ErrNotFound
	}
	if grantID := e.grantID(); grantID != "" {
		if _, ok := m.liveGrant(grantID, now); !ok {
			return AccessToken{}, ErrNotFound
		}
	}
	return AccessToken{
		Hash:      hash,
		GrantID:   e.grantID(),
		ClientID:  e.shape.clientID,
		Subject:   e.subject(),
		Scopes:    slices.Clone(e.shape.scopes),
		Audience:  slices.Clone(e.shape.audience),
		Claims:    e.claims(),
		JKT:       e.jkt(),
		IssuedAt:  time.UnixMicro(e.issuedAt),
		ExpiresAt: time.UnixMicro(e.expiresAt),
	}, nil
}

// DeleteAccessToken implements [AccessTokenStore].
func (m *Memory) DeleteAccessToken(_ context.Context, hash string) error {
	m.access.shard(hash).c.Delete(hash)
	return nil
}
