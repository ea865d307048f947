package redis

import (
	"context"
	"time"

	"github.com/kunci/kunci/store"
)

// UseOnce implements [store.ReplayStore] (RFC 9449 §11.1, RFC 7523 §3,
// RFC 9126 §2.2) with one script that records the key unless a live record
// of it exists: of concurrent callers exactly one records it. The key
// expires at expiresAt, and is free again from then on. The record is the
// call's token, so that a rerun of the script for this call (a retry of a
// lost reply) finds its own record and succeeds.
func (s *Store) UseOnce(ctx context.Context, key string, expiresAt time.Time) error {
	const op = "use once"
	if key == "" {
		return invalid(op, "empty use-once key")
	}
	if expiresAt.IsZero() {
		return noExpiry(op)
	}
	r, err := s.runWrite(ctx, s.scripts.put, []string{s.onceKey(key)},
		s.clock(), stamp(expiresAt), unixMillis(expiresAt), newCallToken(), "new")
	switch {
	case err != nil:
		return fail(op, err)
	case r.status() == "exists":
		return fail(op, store.ErrReused)
	case r.status() != "ok":
		return statusErr(op, r)
	}
	return nil
}
