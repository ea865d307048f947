package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// TombstoneMinAge is how long [Store.Purge] keeps the record of a revoked
// grant at least, even when no code or token of the grant is left, so that
// records of the grant saved shortly after the revocation (by a request that
// was in flight) stay unreadable. It matches the memory store.
const TombstoneMinAge = 24 * time.Hour

// purgeStatements delete, in order, what no read can return any more. $1 is
// the current time.
var purgeStatements = [...]string{
	`DELETE FROM kunci_codes WHERE expires_at <= $1`,
	`DELETE FROM kunci_tokens WHERE rotated_at IS NULL AND expires_at <= $1`,
	// Retired refresh tokens whose grant has no live record left.
	`DELETE FROM kunci_tokens t WHERE t.rotated_at IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM kunci_tokens l
	                   WHERE l.grant_id = t.grant_id AND l.grant_id <> '' AND l.rotated_at IS NULL AND l.expires_at > $1)
	   AND NOT EXISTS (SELECT 1 FROM kunci_codes c
	                   WHERE c.grant_id = t.grant_id AND c.grant_id <> '' AND c.expires_at > $1)`,
	`DELETE FROM kunci_auth_requests WHERE expires_at <= $1`,
	`DELETE FROM kunci_consents WHERE expires_at <= $1`,
}

// purgeTombstones deletes tombstones that are old enough and guard nothing
// any more. $1 is the time before which tombstones may go.
const purgeTombstones = `DELETE FROM kunci_revoked_grants g WHERE g.revoked_at <= $1
	   AND NOT EXISTS (SELECT 1 FROM kunci_codes c WHERE c.grant_id = g.grant_id AND c.grant_id <> '')
	   AND NOT EXISTS (SELECT 1 FROM kunci_tokens t WHERE t.grant_id = g.grant_id AND t.grant_id <> '')`

// Purge deletes the rows no read can return any more: expired codes, access
// tokens, refresh tokens, authorization requests and consents; retired
// refresh tokens whose grant has no live record left; and tombstones of
// revoked grants that are older than [TombstoneMinAge] and have no record
// left. It returns how many rows it deleted.
//
// Reads never depend on Purge (they check expiry themselves); it only keeps
// the tables small. Each statement commits on its own, so a failure part way
// keeps what was already deleted. Call it periodically, or use
// [Store.StartPurger].
func (s *Store) Purge(ctx context.Context) (int64, error) {
	now := s.now()
	var n int64
	for _, q := range purgeStatements {
		tag, err := s.pool.Exec(ctx, q, now)
		if err != nil {
			return n, wrap("purge", err)
		}
		n += tag.RowsAffected()
	}
	tag, err := s.pool.Exec(ctx, purgeTombstones, now.Add(-TombstoneMinAge))
	if err != nil {
		return n, wrap("purge", err)
	}
	return n + tag.RowsAffected(), nil
}

// StartPurger calls [Store.Purge] every interval in a new goroutine until ctx
// is done or stop is called. Failures are logged at error level on logger
// (nil discards them) and the loop carries on. stop waits for a running
// Purge to return; it may be called more than once. An interval of zero or
// less starts nothing.
func (s *Store) StartPurger(ctx context.Context, interval time.Duration, logger *slog.Logger) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	ticker := time.NewTicker(interval)
	stopLoop := s.startLoop(ctx, ticker.C, logger, nil)
	return func() {
		stopLoop()
		ticker.Stop()
	}
}

// startLoop runs Purge on every tick and reports each result to done when it
// is not nil (tests use done to wait for a purge without sleeping).
func (s *Store) startLoop(ctx context.Context, tick <-chan time.Time, logger *slog.Logger, done func(int64, error)) (stop func()) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick:
				n, err := s.Purge(ctx)
				if err != nil && ctx.Err() == nil {
					logger.ErrorContext(ctx, "postgres: purge failed", "error", err)
				} else if err == nil {
					logger.DebugContext(ctx, "postgres: purge", "deleted", n)
				}
				if done != nil {
					done(n, err)
				}
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
