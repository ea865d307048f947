package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

func checkCodeNotFound(ctx context.Context, s store.Store) error {
	_, err := s.ConsumeCode(ctx, randomHash())
	return wantErr("ConsumeCode of an unknown hash", err, store.ErrNotFound)
}

func checkCodeConsumeOnce(ctx context.Context, s store.Store) error {
	c := newCode(randomID("grant"), time.Minute)
	if err := s.SaveCode(ctx, c); err != nil {
		return noErr("SaveCode", err)
	}
	got, err := s.ConsumeCode(ctx, c.Hash)
	if err != nil {
		return noErr("first ConsumeCode", err)
	}
	if err := diff("consumed AuthCode", got, c); err != nil {
		return err
	}
	_, err = s.ConsumeCode(ctx, c.Hash)
	return wantErr("second ConsumeCode", err, store.ErrReused)
}

func checkCodeReuseReported(ctx context.Context, s store.Store) error {
	c := newCode(randomID("grant"), time.Minute)
	if err := s.SaveCode(ctx, c); err != nil {
		return noErr("SaveCode", err)
	}
	if _, err := s.ConsumeCode(ctx, c.Hash); err != nil {
		return noErr("first ConsumeCode", err)
	}
	var errs []error
	for i := 2; i <= 3; i++ {
		op := fmt.Sprintf("ConsumeCode call %d", i)
		got, err := s.ConsumeCode(ctx, c.Hash)
		if err := wantErr(op, err, store.ErrReused); err != nil {
			errs = append(errs, err)
			continue
		}
		// The record comes with ErrReused so that the server can revoke
		// its grant (RFC 6749 §4.1.2).
		errs = append(errs, diff(op+": AuthCode", got, c))
	}
	return errors.Join(errs...)
}

func checkCodeConsumeConcurrent(ctx context.Context, s store.Store) error {
	c := newCode(randomID("grant"), time.Minute)
	if err := s.SaveCode(ctx, c); err != nil {
		return noErr("SaveCode", err)
	}
	got := make([]store.AuthCode, racers)
	results := race(func(i int) error {
		var err error
		got[i], err = s.ConsumeCode(ctx, c.Hash)
		return err
	})
	var errs []error
	winners := 0
	for i, err := range results {
		switch {
		case err == nil:
			winners++
			errs = append(errs, diff("winning ConsumeCode", got[i], c))
		case errors.Is(err, store.ErrReused):
			if got[i].GrantID != c.GrantID {
				errs = append(errs, fmt.Errorf("losing ConsumeCode: GrantID = %q with ErrReused, want %q", got[i].GrantID, c.GrantID))
			}
		default:
			errs = append(errs, fmt.Errorf("losing ConsumeCode: got error %q, want %v", err, store.ErrReused))
		}
	}
	if winners != 1 {
		errs = append(errs, fmt.Errorf("%d concurrent ConsumeCode calls: %d succeeded, want exactly 1", racers, winners))
	}
	return joinDistinct(errs)
}

func checkCodeExpired(ctx context.Context, s store.Store) error {
	return expiresOnRead("AuthCode", func(exp time.Time) (func(bool) error, error) {
		// used is consumed while live; unused is never read before expiry.
		used, unused := newCode(randomID("grant"), 0), newCode(randomID("grant"), 0)
		used.ExpiresAt, unused.ExpiresAt = exp, exp
		if err := s.SaveCode(ctx, used); err != nil {
			return nil, err
		}
		if err := s.SaveCode(ctx, unused); err != nil {
			return nil, err
		}
		return func(after bool) error {
			_, err := s.ConsumeCode(ctx, used.Hash)
			if !after {
				return err
			}
			_, err2 := s.ConsumeCode(ctx, unused.Hash)
			return errors.Join(
				wantErr("ConsumeCode of an expired consumed code", err, store.ErrNotFound),
				wantErr("ConsumeCode of an expired code", err2, store.ErrNotFound))
		}, nil
	})
}

func checkCodeDuplicate(ctx context.Context, s store.Store) error {
	c := newCode(randomID("grant"), time.Minute)
	if err := s.SaveCode(ctx, c); err != nil {
		return noErr("SaveCode", err)
	}
	dup := newCode(randomID("grant"), time.Hour)
	dup.Hash = c.Hash
	var errs []error
	errs = append(errs, wantErr("SaveCode of a taken hash", s.SaveCode(ctx, dup), store.ErrAlreadyExists))
	got, err := s.ConsumeCode(ctx, c.Hash)
	if err != nil {
		return errors.Join(append(errs, noErr("ConsumeCode", err))...)
	}
	errs = append(errs, diff("AuthCode after a refused duplicate", got, c))
	errs = append(errs, wantErr("SaveCode of a consumed code's hash", s.SaveCode(ctx, dup), store.ErrAlreadyExists))
	return errors.Join(errs...)
}
