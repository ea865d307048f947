package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

// maxClockLag is how far a store's clock may run behind the test process's:
// once the test's clock is that far past an ExpiresAt, the store must have
// noticed. A correct store is seen to notice at once, so the suite waits
// this long only for a store that fails.
const maxClockLag = 2 * time.Second

// lives are the lifetimes expiry checks give their records, shortest
// first. A longer one is tried only when the machine was too slow to save
// and read a record before it expired.
var lives = [...]time.Duration{20 * time.Millisecond, 60 * time.Millisecond, 250 * time.Millisecond}

// storePassed returns once the store's own clock has passed t, as the store
// itself reports: it saves a probe grant that expires at t and polls Grant
// until the probe is gone, for at most maxClockLag past t by the test's
// clock. The outcome does not depend on scheduling: every record whose
// ExpiresAt is not after t must be unreadable afterwards.
func storePassed(ctx context.Context, s store.Store, t time.Time) error {
	probe := newGrant(0)
	probe.ExpiresAt = t
	switch err := s.SaveGrant(ctx, probe); {
	case errors.Is(err, store.ErrExpired):
		return nil // the store's clock is already past t
	case err != nil:
		return noErr("SaveGrant of a clock probe", err)
	}
	for {
		_, err := s.Grant(ctx, probe.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil
		case err != nil:
			return noErr("Grant of a clock probe", err)
		}
		if lag := time.Since(t); lag > maxClockLag {
			return fmt.Errorf("the clock probe, a grant whose ExpiresAt passed %v ago, is still readable", lag.Round(time.Millisecond))
		}
		if d := time.Until(t); d > 0 {
			time.Sleep(d)
		} else {
			time.Sleep(time.Millisecond)
		}
	}
}

// tooSlow reports whether err may come from the test's clock passing exp
// while the operation that gave it ran: the machine was too slow for the
// record's life, and a longer one should be tried.
func tooSlow(err error, exp time.Time) bool {
	return err != nil && !time.Now().Before(exp)
}

// expiresOnRead checks that records become unreadable once their ExpiresAt
// has passed. save saves fresh records that expire at exp and returns read:
// read(false) runs before exp and must find them (nil), read(true) runs once
// the store's clock has passed exp and must report every read as
// [store.ErrNotFound]. A save or read(false) that fails only after exp has
// passed by the test's clock is retried with a longer life.
func expiresOnRead(ctx context.Context, s store.Store, what string, save func(exp time.Time) (read func(after bool) error, err error)) error {
	for _, life := range lives {
		exp := now().Add(life)
		read, err := save(exp)
		if tooSlow(err, exp) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: save of records expiring in %v: %w", what, life, err)
		}
		if err := read(false); tooSlow(err, exp) {
			continue
		} else if err != nil {
			return fmt.Errorf("%s: read before ExpiresAt: %w", what, err)
		}
		if err := storePassed(ctx, s, exp); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := read(true); err != nil {
			return fmt.Errorf("%s: read after ExpiresAt passed: %w", what, err)
		}
		return nil
	}
	return fmt.Errorf("%s: every record expired before it could be saved and read (machine too slow)", what)
}
