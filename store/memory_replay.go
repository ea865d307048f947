package store

import (
	"context"
	"fmt"
	"time"
)

// UseOnce implements [ReplayStore]. A key's entry holds its exact expiry, so
// that a key is free again exactly when expiresAt has passed.
func (m *Memory) UseOnce(_ context.Context, key string, expiresAt time.Time) error {
	if key == "" {
		return fmt.Errorf("%w: empty use-once key", ErrInvalid)
	}
	now := time.Now()
	d, err := ttl(expiresAt, now)
	if err != nil {
		return err
	}
	s := m.once.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.c.Get(key); ok && now.Before(v.(time.Time)) {
		return ErrReused
	}
	s.c.Set(key, expiresAt, d)
	return nil
}
