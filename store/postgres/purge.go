package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// purgeStatements delete, in order, every row no read can return any more:
// what has expired. $1 is the current time. A grant's row goes at its
// expires_at, tombstone or not; the foreign keys would take its codes and
// access tokens with it, but those never outlive it and are gone already.
// What is left after a purge is bounded by what is live: per grant one
// row, plus its live codes and access tokens, however often it rotated.
var purgeStatements = [...]string{
	`DELETE FROM kunci_codes WHERE expires_at <= $1`,
	`DELETE FROM kunci_access_tokens WHERE expires_at <= $1`,
	`DELETE FROM kunci_grants WHERE expires_at <= $1`,
	`DELETE FROM kunci_auth_requests WHERE expires_at <= $1`,
	`DELETE FROM kunci_consents WHERE expires_at <= $1`,
	`DELETE FROM kunci_use_once WHERE expires_at <= $1`,
}

// Purge deletes the rows no read can return any more: expired grants
// (revoked ones included), codes, access tokens, authorization requests,
// consents and use-once keys. It returns how many rows it deleted.
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
	return n, nil
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
