package storetest

import (
	"context"
	"errors"
	"time"

	"github.com/kunci/kunci/store"
)

// saveAccess saves a grant and an access token of it that lives 30 minutes.
func saveAccess(ctx context.Context, s store.Store) (store.Grant, store.AccessToken, error) {
	g, err := saveGrant(ctx, s, true)
	if err != nil {
		return g, store.AccessToken{}, err
	}
	t := newAccess(g.ID, 30*time.Minute)
	return g, t, noErr("SaveAccessToken", s.SaveAccessToken(ctx, t))
}

func checkAccessNotFound(ctx context.Context, s store.Store) error {
	got, err := s.AccessToken(ctx, randomHash())
	return zeroWith("AccessToken of an unknown hash", got, err, store.ErrNotFound)
}

func checkAccessSaveLookup(ctx context.Context, s store.Store) error {
	_, t, err := saveAccess(ctx, s)
	if err != nil {
		return err
	}
	got, err := s.AccessToken(ctx, t.Hash)
	return sameRecord("AccessToken", got, t, err)
}

// checkAccessNoGrant covers client_credentials tokens, which belong to no
// grant and carry neither subject nor claims.
func checkAccessNoGrant(ctx context.Context, s store.Store) error {
	t := newAccess("", time.Hour)
	t.Subject, t.Audience, t.Claims = "", nil, nil
	if err := s.SaveAccessToken(ctx, t); err != nil {
		return noErr("SaveAccessToken without a grant", err)
	}
	if err := s.RevokeGrant(ctx, ""); err != nil {
		return noErr("RevokeGrant of the empty id", err)
	}
	got, err := s.AccessToken(ctx, t.Hash)
	return sameRecord("AccessToken without a grant", got, t, err)
}

func checkAccessSaveInvalid(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	noHash, unknownGrant, outlives := newAccess(g.ID, time.Minute), newAccess(randomID("grant"), time.Minute), newAccess(g.ID, 0)
	noHash.Hash = ""
	outlives.ExpiresAt = g.ExpiresAt.Add(time.Microsecond)
	var errs []error
	for _, tc := range []struct {
		name string
		t    store.AccessToken
		want error
	}{
		{"without a hash", noHash, store.ErrInvalid},
		{"of an unknown grant", unknownGrant, store.ErrNotFound},
		{"that outlives its grant", outlives, store.ErrInvalid},
	} {
		errs = append(errs, wantErr("SaveAccessToken of a token "+tc.name, s.SaveAccessToken(ctx, tc.t), tc.want))
		_, err := s.AccessToken(ctx, tc.t.Hash)
		errs = append(errs, wantErr("AccessToken of a refused token "+tc.name, err, store.ErrNotFound))
	}
	atEnd := newAccess(g.ID, 0)
	atEnd.ExpiresAt = g.ExpiresAt
	errs = append(errs, noErr("SaveAccessToken of a token that expires with its grant", s.SaveAccessToken(ctx, atEnd)))
	return errors.Join(errs...)
}

func checkAccessExpired(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	return expiresOnRead(ctx, s, "AccessToken", func(exp time.Time) (func(bool) error, error) {
		withGrant, noGrant := newAccess(g.ID, 0), newAccess("", 0)
		withGrant.ExpiresAt, noGrant.ExpiresAt = exp, exp
		if err := errors.Join(s.SaveAccessToken(ctx, withGrant), s.SaveAccessToken(ctx, noGrant)); err != nil {
			return nil, err
		}
		return func(after bool) error {
			got1, err1 := s.AccessToken(ctx, withGrant.Hash)
			got2, err2 := s.AccessToken(ctx, noGrant.Hash)
			if !after {
				return errors.Join(err1, err2)
			}
			return errors.Join(
				zeroWith("AccessToken of an expired token", got1, err1, store.ErrNotFound),
				zeroWith("AccessToken of an expired token without a grant", got2, err2, store.ErrNotFound))
		}, nil
	})
}

func checkAccessDelete(ctx context.Context, s store.Store) error {
	g, t, err := saveAccess(ctx, s)
	if err != nil {
		return err
	}
	keep := newAccess(g.ID, 30*time.Minute)
	if err := s.SaveAccessToken(ctx, keep); err != nil {
		return noErr("SaveAccessToken", err)
	}
	if err := s.DeleteAccessToken(ctx, t.Hash); err != nil {
		return noErr("DeleteAccessToken", err)
	}
	_, err = s.AccessToken(ctx, t.Hash)
	gotKeep, errKeep := s.AccessToken(ctx, keep.Hash)
	gotG, errG := s.Grant(ctx, g.ID)
	return errors.Join(
		wantErr("AccessToken after DeleteAccessToken", err, store.ErrNotFound),
		sameRecord("AccessToken of another token of the grant after DeleteAccessToken", gotKeep, keep, errKeep),
		sameRecord("Grant of a deleted access token", gotG, g, errG),
		noErr("DeleteAccessToken of a deleted token", s.DeleteAccessToken(ctx, t.Hash)),
		noErr("DeleteAccessToken of an unknown token", s.DeleteAccessToken(ctx, randomHash())),
	)
}

func checkAccessDuplicate(ctx context.Context, s store.Store) error {
	g, t, err := saveAccess(ctx, s)
	if err != nil {
		return err
	}
	dup := newAccess(g.ID, 40*time.Minute)
	dup.Hash = t.Hash
	dup.Scopes = []string{"admin"}
	errDup := s.SaveAccessToken(ctx, dup)
	noGrantDup := newAccess("", time.Minute)
	noGrantDup.Hash = t.Hash
	errNoGrantDup := s.SaveAccessToken(ctx, noGrantDup)
	got, err := s.AccessToken(ctx, t.Hash)
	return errors.Join(
		wantErr("SaveAccessToken of a taken hash", errDup, store.ErrAlreadyExists),
		wantErr("SaveAccessToken without a grant of a taken hash", errNoGrantDup, store.ErrAlreadyExists),
		sameRecord("AccessToken after refused duplicates", got, t, err))
}

// checkAccessApartFromCodes checks that codes and access tokens are separate
// key spaces: a code and an access token may share a hash.
func checkAccessApartFromCodes(ctx context.Context, s store.Store) error {
	g, c, err := saveCode(ctx, s)
	if err != nil {
		return err
	}
	t := newAccess(g.ID, 30*time.Minute)
	t.Hash = c.Hash
	if err := s.SaveAccessToken(ctx, t); err != nil {
		return noErr("SaveAccessToken with a code's hash", err)
	}
	gotT, errT := s.AccessToken(ctx, t.Hash)
	gotC, errC := s.ConsumeCode(ctx, g.ID, c.Hash)
	errDel := s.DeleteAccessToken(ctx, t.Hash)
	gotAfter, errAfter := s.Code(ctx, g.ID, c.Hash)
	return errors.Join(
		sameRecord("AccessToken sharing a code's hash", gotT, t, errT),
		sameRecord("ConsumeCode of a code sharing an access token's hash", gotC, c, errC),
		noErr("DeleteAccessToken", errDel),
		reusedRecord("Code after the access token with its hash was deleted", gotAfter, c, errAfter))
}

// checkAccessExpiredKeyFree checks that an expired access token's hash is
// free again: a token saved under it, with or without a grant, is read back
// as saved.
func checkAccessExpiredKeyFree(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	return expiresOnRead(ctx, s, "AccessToken", func(exp time.Time) (func(bool) error, error) {
		withGrant, noGrant := newAccess(g.ID, 0), newAccess("", 0)
		withGrant.ExpiresAt, noGrant.ExpiresAt = exp, exp
		if err := errors.Join(s.SaveAccessToken(ctx, withGrant), s.SaveAccessToken(ctx, noGrant)); err != nil {
			return nil, err
		}
		return func(after bool) error {
			if !after {
				_, err1 := s.AccessToken(ctx, withGrant.Hash)
				_, err2 := s.AccessToken(ctx, noGrant.Hash)
				return errors.Join(err1, err2)
			}
			// Each hash comes back with the other kind of token.
			grantless, ofGrant := newAccess("", time.Hour), newAccess(g.ID, 30*time.Minute)
			grantless.Hash, ofGrant.Hash = withGrant.Hash, noGrant.Hash
			grantless.Scopes, ofGrant.Scopes = []string{"phone"}, []string{"phone"}
			var errs []error
			for _, again := range []struct {
				name string
				t    store.AccessToken
			}{
				{"a token without a grant, under an expired token's hash", grantless},
				{"a token of a grant, under an expired grantless token's hash", ofGrant},
			} {
				if err := s.SaveAccessToken(ctx, again.t); err != nil {
					errs = append(errs, noErr("SaveAccessToken of "+again.name, err))
					continue
				}
				got, err := s.AccessToken(ctx, again.t.Hash)
				errs = append(errs, sameRecord("AccessToken of "+again.name, got, again.t, err))
			}
			return errors.Join(errs...)
		}, nil
	})
}

// checkAccessDeletedKeyFree checks that a deleted access token's hash is
// free again at once.
func checkAccessDeletedKeyFree(ctx context.Context, s store.Store) error {
	g, t, err := saveAccess(ctx, s)
	if err != nil {
		return err
	}
	if err := s.DeleteAccessToken(ctx, t.Hash); err != nil {
		return noErr("DeleteAccessToken", err)
	}
	again := newAccess(g.ID, 20*time.Minute)
	again.Hash, again.Scopes = t.Hash, []string{"phone"}
	if err := s.SaveAccessToken(ctx, again); err != nil {
		return noErr("SaveAccessToken under a deleted token's hash", err)
	}
	got, err := s.AccessToken(ctx, again.Hash)
	return sameRecord("AccessToken saved under a deleted token's hash", got, again, err)
}
