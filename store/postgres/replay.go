package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

// UseOnce implements [store.ReplayStore] with one INSERT … ON CONFLICT: a
// new key is inserted, an expired one takes the new expiry, and a live one
// matches nothing ([store.ErrReused]). The unique key makes exactly one of
// concurrent callers insert.
func (s *Store) UseOnce(ctx context.Context, key string, expiresAt time.Time) error {
	const op = "use once"
	if key == "" {
		return invalid(op, "empty use-once key")
	}
	now := s.now()
	if err := checkExpiry(op, expiresAt, now); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO kunci_use_once (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at
		WHERE kunci_use_once.expires_at <= $3`, key, expiresAt, now)
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrReused)
	}
	return nil
}
