package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

func checkUseOnceFirst(ctx context.Context, s store.Store) error {
	key, other := "dpop:"+randomHash(), "dpop:"+randomHash()
	exp := now().Add(time.Minute)
	return errors.Join(
		noErr("first UseOnce", s.UseOnce(ctx, key, exp)),
		wantErr("second UseOnce", s.UseOnce(ctx, key, exp), store.ErrReused),
		wantErr("UseOnce with a later expiry", s.UseOnce(ctx, key, exp.Add(time.Hour)), store.ErrReused),
		wantErr("UseOnce with an earlier expiry", s.UseOnce(ctx, key, exp.Add(-30*time.Second)), store.ErrReused),
		noErr("UseOnce of another key", s.UseOnce(ctx, other, exp)))
}

func checkUseOnceConcurrent(ctx context.Context, s store.Store) error {
	return inRounds(func() error {
		key := "jti:" + randomHash()
		exp := now().Add(time.Minute)
		results := race(func(int) error { return s.UseOnce(ctx, key, exp) })
		var errs []error
		winners := 0
		for _, err := range results {
			if err == nil {
				winners++
				continue
			}
			errs = append(errs, wantErr("losing UseOnce", err, store.ErrReused))
		}
		if winners != 1 {
			errs = append(errs, fmt.Errorf("%d concurrent UseOnce calls: %d succeeded, want exactly 1", racers, winners))
		}
		errs = append(errs, wantErr("UseOnce after the race", s.UseOnce(ctx, key, exp), store.ErrReused))
		return joinDistinct(errs)
	})
}

func checkUseOnceEmptyKey(ctx context.Context, s store.Store) error {
	return wantErr("UseOnce of the empty key", s.UseOnce(ctx, "", now().Add(time.Minute)), store.ErrInvalid)
}

// checkUseOnceFreeAfterExpiry checks that a key is remembered until its
// expiry and then forgotten.
func checkUseOnceFreeAfterExpiry(ctx context.Context, s store.Store) error {
	key := "request_uri:" + randomHash()
	return expiresOnRead(ctx, s, "UseOnce", func(exp time.Time) (func(bool) error, error) {
		key = key + "+" // a fresh key for every life tried
		if err := s.UseOnce(ctx, key, exp); err != nil {
			return nil, err
		}
		return func(after bool) error {
			if !after {
				if err := s.UseOnce(ctx, key, exp); !errors.Is(err, store.ErrReused) {
					return wantErr("UseOnce of a used key before its expiry", err, store.ErrReused)
				}
				return nil
			}
			later := now().Add(time.Minute)
			return errors.Join(
				noErr("UseOnce of a key whose expiry passed", s.UseOnce(ctx, key, later)),
				wantErr("UseOnce of a key used again after its expiry", s.UseOnce(ctx, key, later), store.ErrReused))
		}, nil
	})
}
