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

func checkExpiryGrant(ctx context.Context, s store.Store) error {
	var errs []error
	for _, e := range expiredTimes() {
		g := newGrant(0)
		g.ExpiresAt = e.at
		errs = append(errs, wantErr("SaveGrant with "+e.name, s.SaveGrant(ctx, g), store.ErrExpired))
		_, err := s.Grant(ctx, g.ID)
		errs = append(errs, wantErr("Grant of a refused grant with "+e.name, err, store.ErrNotFound))
	}
	return errors.Join(errs...)
}

func checkExpiryCode(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range expiredTimes() {
		c := newCode(g.ID, 0)
		c.ExpiresAt = e.at
		errs = append(errs, wantErr("SaveCode with "+e.name, s.SaveCode(ctx, c), store.ErrExpired))
		_, err := s.Code(ctx, g.ID, c.Hash)
		errs = append(errs, wantErr("Code of a refused code with "+e.name, err, store.ErrNotFound))
	}
	return errors.Join(errs...)
}

func checkExpiryAccess(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range expiredTimes() {
		for _, grantID := range []string{g.ID, ""} {
			t := newAccess(grantID, 0)
			t.ExpiresAt = e.at
			errs = append(errs, wantErr("SaveAccessToken with "+e.name, s.SaveAccessToken(ctx, t), store.ErrExpired))
			_, err := s.AccessToken(ctx, t.Hash)
			errs = append(errs, wantErr("AccessToken of a refused token with "+e.name, err, store.ErrNotFound))
		}
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

// checkExpiryUseOnce checks that a refused UseOnce records nothing: the key
// is still unused afterwards.
func checkExpiryUseOnce(ctx context.Context, s store.Store) error {
	var errs []error
	for _, e := range expiredTimes() {
		key := "jti:" + randomHash()
		errs = append(errs,
			wantErr("UseOnce with "+e.name, s.UseOnce(ctx, key, e.at), store.ErrExpired),
			noErr("UseOnce of a key refused with "+e.name, s.UseOnce(ctx, key, now().Add(time.Minute))))
	}
	return errors.Join(errs...)
}
