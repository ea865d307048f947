package storetest

import (
	"context"
	"errors"
	"time"

	"github.com/kunci/kunci/store"
)

// Every save of a record whose ExpiresAt has passed, or is zero, must give
// ErrExpired and store nothing. A store built on a cache that takes a TTL
// (time.Until(ExpiresAt)) and treats a TTL of zero or less as "never
// expires" keeps such records forever; these checks catch it.

// expiredTimes returns the expiries every save must refuse, with a name for
// each.
func expiredTimes() []struct {
	name string
	at   time.Time
} {
	return []struct {
		name string
		at   time.Time
	}{
		{"ExpiresAt an hour ago", now().Add(-time.Hour)},
		{"ExpiresAt just now", now()},
		{"zero ExpiresAt", time.Time{}},
	}
}

func checkExpiryCode(ctx context.Context, s store.Store) error {
	var errs []error
	for _, e := range expiredTimes() {
		c := newCode(randomID("grant"), 0)
		c.ExpiresAt = e.at
		errs = append(errs, wantErr("SaveCode with "+e.name, s.SaveCode(ctx, c), store.ErrExpired))
		_, err := s.ConsumeCode(ctx, c.Hash)
		errs = append(errs, wantErr("ConsumeCode of a refused code with "+e.name, err, store.ErrNotFound))
	}
	return errors.Join(errs...)
}

func checkExpiryAccess(ctx context.Context, s store.Store) error {
	var errs []error
	for _, e := range expiredTimes() {
		for _, grantID := range []string{randomID("grant"), ""} {
			t := newAccess(grantID, 0)
			t.ExpiresAt = e.at
			errs = append(errs, wantErr("SaveAccessToken with "+e.name, s.SaveAccessToken(ctx, t), store.ErrExpired))
			_, err := s.AccessToken(ctx, t.Hash)
			errs = append(errs, wantErr("AccessToken of a refused token with "+e.name, err, store.ErrNotFound))
		}
	}
	return errors.Join(errs...)
}

func checkExpiryRefresh(ctx context.Context, s store.Store) error {
	var errs []error
	for _, e := range expiredTimes() {
		t := newRefresh(randomID("grant"), 0)
		t.ExpiresAt = e.at
		errs = append(errs, wantErr("SaveRefreshToken with "+e.name, s.SaveRefreshToken(ctx, t), store.ErrExpired))
		_, err := s.RefreshToken(ctx, t.Hash)
		errs = append(errs, wantErr("RefreshToken of a refused token with "+e.name, err, store.ErrNotFound))
	}
	return errors.Join(errs...)
}

// checkExpiryRotateSuccessor checks that a rotation to an expired successor
// is refused as a whole: the old token stays live and nothing is saved.
func checkExpiryRotateSuccessor(ctx context.Context, s store.Store) error {
	a := newRefresh(randomID("grant"), time.Hour)
	if err := s.SaveRefreshToken(ctx, a); err != nil {
		return noErr("SaveRefreshToken", err)
	}
	var errs []error
	for _, e := range expiredTimes() {
		next := successor(a, 0)
		next.ExpiresAt = e.at
		_, err := s.RotateRefreshToken(ctx, a.Hash, next)
		errs = append(errs, wantErr("RotateRefreshToken to a successor with "+e.name, err, store.ErrExpired))
		_, err = s.RefreshToken(ctx, next.Hash)
		errs = append(errs, wantErr("RefreshToken of a refused successor with "+e.name, err, store.ErrNotFound))
	}
	got, err := s.RefreshToken(ctx, a.Hash)
	errs = append(errs, noErr("RefreshToken after refused rotations", err))
	if err == nil {
		errs = append(errs, diff("RefreshToken after refused rotations", got, a))
	}
	return errors.Join(errs...)
}

func checkExpiryAuthRequest(ctx context.Context, s store.Store) error {
	var errs []error
	for _, e := range expiredTimes() {
		r := newAuthRequest(0)
		r.ExpiresAt = e.at
		errs = append(errs, wantErr("SaveAuthRequest with "+e.name, s.SaveAuthRequest(ctx, r), store.ErrExpired))
		_, err := s.AuthRequest(ctx, r.ID)
		errs = append(errs, wantErr("AuthRequest of a refused request with "+e.name, err, store.ErrNotFound))
	}
	return errors.Join(errs...)
}

func checkExpiryConsent(ctx context.Context, s store.Store) error {
	var errs []error
	for _, e := range expiredTimes() {
		c := newConsent(0)
		c.ExpiresAt = e.at
		errs = append(errs, wantErr("SaveConsent with "+e.name, s.SaveConsent(ctx, c), store.ErrExpired))
		_, err := s.Consent(ctx, c.Subject, c.ClientID)
		errs = append(errs, wantErr("Consent of a refused consent with "+e.name, err, store.ErrNotFound))
	}
	return errors.Join(errs...)
}
