package storetest

import (
	"context"
	"errors"
	"time"

	"github.com/kunci/kunci/store"
)

func checkAccessNotFound(ctx context.Context, s store.Store) error {
	_, err := s.AccessToken(ctx, randomHash())
	return wantErr("AccessToken of an unknown hash", err, store.ErrNotFound)
}

func checkAccessSaveLookup(ctx context.Context, s store.Store) error {
	t := newAccess(randomID("grant"), time.Hour)
	if err := s.SaveAccessToken(ctx, t); err != nil {
		return noErr("SaveAccessToken", err)
	}
	got, err := s.AccessToken(ctx, t.Hash)
	if err != nil {
		return noErr("AccessToken", err)
	}
	return diff("AccessToken", got, t)
}

// checkAccessNoGrant covers client_credentials tokens, which belong to no
// grant and carry neither subject nor claims.
func checkAccessNoGrant(ctx context.Context, s store.Store) error {
	t := newAccess("", time.Hour)
	t.Subject, t.Audience, t.Claims = "", nil, nil
	if err := s.SaveAccessToken(ctx, t); err != nil {
		return noErr("SaveAccessToken without a grant", err)
	}
	if err := s.RevokeGrant(ctx, randomID("grant")); err != nil {
		return noErr("RevokeGrant of another grant", err)
	}
	got, err := s.AccessToken(ctx, t.Hash)
	if err != nil {
		return noErr("AccessToken without a grant", err)
	}
	return diff("AccessToken without a grant", got, t)
}

func checkAccessExpired(ctx context.Context, s store.Store) error {
	return expiresOnRead("AccessToken", func(exp time.Time) (func(bool) error, error) {
		withGrant, noGrant := newAccess(randomID("grant"), 0), newAccess("", 0)
		withGrant.ExpiresAt, noGrant.ExpiresAt = exp, exp
		for _, t := range []store.AccessToken{withGrant, noGrant} {
			if err := s.SaveAccessToken(ctx, t); err != nil {
				return nil, err
			}
		}
		return func(after bool) error {
			_, err1 := s.AccessToken(ctx, withGrant.Hash)
			_, err2 := s.AccessToken(ctx, noGrant.Hash)
			if !after {
				return errors.Join(err1, err2)
			}
			return errors.Join(
				wantErr("AccessToken of an expired token", err1, store.ErrNotFound),
				wantErr("AccessToken of an expired token without a grant", err2, store.ErrNotFound))
		}, nil
	})
}

func checkAccessDelete(ctx context.Context, s store.Store) error {
	t := newAccess(randomID("grant"), time.Hour)
	keep := newAccess(t.GrantID, time.Hour)
	for _, x := range []store.AccessToken{t, keep} {
		if err := s.SaveAccessToken(ctx, x); err != nil {
			return noErr("SaveAccessToken", err)
		}
	}
	if err := s.DeleteToken(ctx, t.Hash); err != nil {
		return noErr("DeleteToken", err)
	}
	_, err := s.AccessToken(ctx, t.Hash)
	_, errKeep := s.AccessToken(ctx, keep.Hash)
	return errors.Join(
		wantErr("AccessToken after DeleteToken", err, store.ErrNotFound),
		noErr("AccessToken of another token of the grant after DeleteToken", errKeep),
		noErr("DeleteToken of a deleted token", s.DeleteToken(ctx, t.Hash)),
		noErr("DeleteToken of an unknown token", s.DeleteToken(ctx, randomHash())),
	)
}

func checkAccessDuplicate(ctx context.Context, s store.Store) error {
	t := newAccess(randomID("grant"), time.Hour)
	if err := s.SaveAccessToken(ctx, t); err != nil {
		return noErr("SaveAccessToken", err)
	}
	dup := newAccess(randomID("grant"), 2*time.Hour)
	dup.Hash = t.Hash
	dup.Scopes = []string{"admin"}
	errDup := s.SaveAccessToken(ctx, dup)
	got, err := s.AccessToken(ctx, t.Hash)
	if err != nil {
		return errors.Join(wantErr("SaveAccessToken of a taken hash", errDup, store.ErrAlreadyExists), noErr("AccessToken", err))
	}
	return errors.Join(
		wantErr("SaveAccessToken of a taken hash", errDup, store.ErrAlreadyExists),
		diff("AccessToken after a refused duplicate", got, t))
}
