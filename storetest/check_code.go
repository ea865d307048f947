package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

// saveCode saves a grant and a code of it that lives a minute.
func saveCode(ctx context.Context, s store.Store) (store.Grant, store.AuthCode, error) {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return g, store.AuthCode{}, err
	}
	c := newCode(g.ID, time.Minute)
	return g, c, noErr("SaveCode", s.SaveCode(ctx, c))
}

func checkCodeNotFound(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	h := randomHash()
	got, err := s.Code(ctx, g.ID, h)
	gotC, errC := s.ConsumeCode(ctx, g.ID, h)
	return errors.Join(
		zeroWith("Code of an unknown hash", got, err, store.ErrNotFound),
		zeroWith("ConsumeCode of an unknown hash", gotC, errC, store.ErrNotFound))
}

func checkCodeSaveInvalid(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	noHash, noGrant, unknownGrant, outlives := newCode(g.ID, time.Minute), newCode("", time.Minute), newCode(randomID("grant"), time.Minute), newCode(g.ID, 0)
	noHash.Hash = ""
	outlives.ExpiresAt = g.ExpiresAt.Add(time.Microsecond)
	var errs []error
	for _, tc := range []struct {
		name string
		c    store.AuthCode
		want error
	}{
		{"without a hash", noHash, store.ErrInvalid},
		{"without a grant", noGrant, store.ErrInvalid},
		{"of an unknown grant", unknownGrant, store.ErrNotFound},
		{"that outlives its grant", outlives, store.ErrInvalid},
	} {
		errs = append(errs, wantErr("SaveCode of a code "+tc.name, s.SaveCode(ctx, tc.c), tc.want))
		_, err := s.Code(ctx, tc.c.GrantID, tc.c.Hash)
		errs = append(errs, wantErr("Code of a refused code "+tc.name, err, store.ErrNotFound))
	}
	atEnd := newCode(g.ID, 0)
	atEnd.ExpiresAt = g.ExpiresAt
	errs = append(errs, noErr("SaveCode of a code that expires with its grant", s.SaveCode(ctx, atEnd)))
	return errors.Join(errs...)
}

// checkCodeReadDoesNotConsume checks that Code reads without spending: the
// server checks client, redirect URI and PKCE before it consumes.
func checkCodeReadDoesNotConsume(ctx context.Context, s store.Store) error {
	g, c, err := saveCode(ctx, s)
	if err != nil {
		return err
	}
	var errs []error
	for i := range 2 {
		got, err := s.Code(ctx, g.ID, c.Hash)
		errs = append(errs, sameRecord(fmt.Sprintf("Code (read %d)", i+1), got, c, err))
	}
	got, err := s.ConsumeCode(ctx, g.ID, c.Hash)
	errs = append(errs, sameRecord("ConsumeCode after Code", got, c, err))
	got, err = s.Code(ctx, g.ID, c.Hash)
	errs = append(errs, reusedRecord("Code of a consumed code", got, c, err))
	got, err = s.ConsumeCode(ctx, g.ID, c.Hash)
	errs = append(errs, reusedRecord("ConsumeCode after Code of a consumed code", got, c, err))
	return errors.Join(errs...)
}

func checkCodeConsumeOnce(ctx context.Context, s store.Store) error {
	g, c, err := saveCode(ctx, s)
	if err != nil {
		return err
	}
	got, err := s.ConsumeCode(ctx, g.ID, c.Hash)
	if err := sameRecord("first ConsumeCode", got, c, err); err != nil {
		return err
	}
	var errs []error
	for i := 2; i <= 3; i++ {
		// The record comes with ErrReused so that the server can revoke
		// its grant (RFC 6749 §4.1.2).
		got, err := s.ConsumeCode(ctx, g.ID, c.Hash)
		errs = append(errs, reusedRecord(fmt.Sprintf("ConsumeCode call %d", i), got, c, err))
	}
	return errors.Join(errs...)
}

func checkCodeConsumeConcurrent(ctx context.Context, s store.Store) error {
	return inRounds(func() error {
		g, c, err := saveCode(ctx, s)
		if err != nil {
			return err
		}
		got := make([]store.AuthCode, racers)
		results := race(func(i int) error {
			var err error
			got[i], err = s.ConsumeCode(ctx, g.ID, c.Hash)
			return err
		})
		var errs []error
		winners := 0
		for i, err := range results {
			if err == nil {
				winners++
				errs = append(errs, diff("winning ConsumeCode", got[i], c))
				continue
			}
			errs = append(errs, reusedRecord("losing ConsumeCode", got[i], c, err))
		}
		if winners != 1 {
			errs = append(errs, fmt.Errorf("%d concurrent ConsumeCode calls: %d succeeded, want exactly 1", racers, winners))
		}
		after, err := s.Code(ctx, g.ID, c.Hash)
		errs = append(errs, reusedRecord("Code after the race", after, c, err))
		return joinDistinct(errs)
	})
}

func checkCodeExpired(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	return expiresOnRead(ctx, s, "AuthCode", func(exp time.Time) (func(bool) error, error) {
		// used is consumed while live; unused is never consumed.
		used, unused := newCode(g.ID, 0), newCode(g.ID, 0)
		used.ExpiresAt, unused.ExpiresAt = exp, exp
		if err := errors.Join(s.SaveCode(ctx, used), s.SaveCode(ctx, unused)); err != nil {
			return nil, err
		}
		return func(after bool) error {
			if !after {
				_, err := s.ConsumeCode(ctx, g.ID, used.Hash)
				_, err2 := s.Code(ctx, g.ID, unused.Hash)
				return errors.Join(err, err2)
			}
			var errs []error
			for _, c := range []struct {
				name string
				hash string
			}{{"consumed code", used.Hash}, {"code", unused.Hash}} {
				got, err := s.Code(ctx, g.ID, c.hash)
				errs = append(errs, zeroWith("Code of an expired "+c.name, got, err, store.ErrNotFound))
				got, err = s.ConsumeCode(ctx, g.ID, c.hash)
				errs = append(errs, zeroWith("ConsumeCode of an expired "+c.name, got, err, store.ErrNotFound))
			}
			return errors.Join(errs...)
		}, nil
	})
}

func checkCodeDuplicate(ctx context.Context, s store.Store) error {
	g, c, err := saveCode(ctx, s)
	if err != nil {
		return err
	}
	dup := newCode(g.ID, 2*time.Minute)
	dup.Hash, dup.RedirectURI = c.Hash, "https://other.example/cb"
	errs := []error{wantErr("SaveCode of a taken hash", s.SaveCode(ctx, dup), store.ErrAlreadyExists)}
	got, err := s.ConsumeCode(ctx, g.ID, c.Hash)
	errs = append(errs,
		sameRecord("ConsumeCode after a refused duplicate", got, c, err),
		wantErr("SaveCode of a consumed code's hash", s.SaveCode(ctx, dup), store.ErrAlreadyExists))
	return errors.Join(errs...)
}

// checkCodeKeyedByGrant checks that a code is named by its grant and hash
// together: the same hash under two grants is two codes, and a lookup under
// another grant finds nothing.
func checkCodeKeyedByGrant(ctx context.Context, s store.Store) error {
	g1, c1, err := saveCode(ctx, s)
	if err != nil {
		return err
	}
	g2, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	c2 := newCode(g2.ID, 2*time.Minute)
	c2.Hash, c2.RedirectURI = c1.Hash, "https://other.example/cb"
	if err := s.SaveCode(ctx, c2); err != nil {
		return noErr("SaveCode of another grant's code with the same hash", err)
	}
	gotOther, errOther := s.Code(ctx, randomID("grant"), c1.Hash)
	gotC1, errC1 := s.ConsumeCode(ctx, g1.ID, c1.Hash)
	gotC2, errC2 := s.Code(ctx, g2.ID, c1.Hash)
	return errors.Join(
		zeroWith("Code of a hash under a grant that has no such code", gotOther, errOther, store.ErrNotFound),
		sameRecord("ConsumeCode of the first grant's code", gotC1, c1, errC1),
		sameRecord("Code of the second grant's code with the same hash, after the first was consumed", gotC2, c2, errC2))
}

// checkCodeExpiredKeyFree checks that an expired code's key is free again,
// whether or not the code was consumed: a code saved under it is a new
// code, pending and readable.
func checkCodeExpiredKeyFree(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	return expiresOnRead(ctx, s, "AuthCode", func(exp time.Time) (func(bool) error, error) {
		// used is consumed while live; unused is never consumed.
		used, unused := newCode(g.ID, 0), newCode(g.ID, 0)
		used.ExpiresAt, unused.ExpiresAt = exp, exp
		if err := errors.Join(s.SaveCode(ctx, used), s.SaveCode(ctx, unused)); err != nil {
			return nil, err
		}
		return func(after bool) error {
			if !after {
				_, err := s.ConsumeCode(ctx, g.ID, used.Hash)
				_, err2 := s.Code(ctx, g.ID, unused.Hash)
				return errors.Join(err, err2)
			}
			var errs []error
			for _, old := range []struct {
				name string
				hash string
			}{{"consumed code", used.Hash}, {"code", unused.Hash}} {
				again := newCode(g.ID, time.Minute)
				again.Hash, again.RedirectURI = old.hash, "https://app.example/cb2"
				if err := s.SaveCode(ctx, again); err != nil {
					errs = append(errs, noErr("SaveCode under an expired "+old.name+"'s key", err))
					continue
				}
				got, err := s.Code(ctx, g.ID, again.Hash)
				errs = append(errs, sameRecord("Code saved under an expired "+old.name+"'s key", got, again, err))
				got, err = s.ConsumeCode(ctx, g.ID, again.Hash)
				errs = append(errs, sameRecord("ConsumeCode of a code saved under an expired "+old.name+"'s key", got, again, err))
			}
			return errors.Join(errs...)
		}, nil
	})
}
