package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

func checkGrantNotFound(ctx context.Context, s store.Store) error {
	got, err := s.Grant(ctx, randomID("grant"))
	return zeroWith("Grant of an unknown id", got, err, store.ErrNotFound)
}

func checkGrantSaveLookup(ctx context.Context, s store.Store) error {
	var errs []error
	for _, g := range []store.Grant{newGrant(time.Hour), withRefresh(newGrant(time.Hour), newRefresh(time.Minute))} {
		if err := s.SaveGrant(ctx, g); err != nil {
			errs = append(errs, noErr("SaveGrant", err))
			continue
		}
		for i := range 2 { // a read changes nothing
			got, err := s.Grant(ctx, g.ID)
			errs = append(errs, sameRecord(fmt.Sprintf("Grant (read %d)", i+1), got, g, err))
		}
	}
	return errors.Join(errs...)
}

func checkGrantInvalid(ctx context.Context, s store.Store) error {
	valid := func() store.Grant { return withRefresh(newGrant(time.Hour), newRefresh(time.Minute)) }
	noID, noClient, noRefreshExpiry, refreshOutlives := valid(), valid(), valid(), valid()
	noID.ID = ""
	noClient.ClientID = ""
	noRefreshExpiry.RefreshExpiresAt = time.Time{}
	refreshOutlives.RefreshExpiresAt = refreshOutlives.ExpiresAt.Add(time.Microsecond)
	var errs []error
	for _, tc := range []struct {
		name string
		g    store.Grant
	}{
		{"without an id", noID},
		{"without a client", noClient},
		{"with a refresh token without expiry", noRefreshExpiry},
		{"with a refresh token that outlives it", refreshOutlives},
	} {
		errs = append(errs, wantErr("SaveGrant of a grant "+tc.name, s.SaveGrant(ctx, tc.g), store.ErrInvalid))
		if tc.g.ID != "" {
			got, err := s.Grant(ctx, tc.g.ID)
			errs = append(errs, zeroWith("Grant of a refused grant "+tc.name, got, err, store.ErrNotFound))
		}
	}
	// A refresh token may expire with its grant, not later.
	atEnd := newGrant(time.Hour)
	atEnd = withRefresh(atEnd, store.RefreshState{Hash: randomHash(), IssuedAt: now(), ExpiresAt: atEnd.ExpiresAt})
	errs = append(errs, noErr("SaveGrant of a grant whose refresh token expires with it", s.SaveGrant(ctx, atEnd)))
	return errors.Join(errs...)
}

func checkGrantDuplicate(ctx context.Context, s store.Store) error {
	g := withRefresh(newGrant(time.Hour), newRefresh(time.Minute))
	if err := s.SaveGrant(ctx, g); err != nil {
		return noErr("SaveGrant", err)
	}
	dup := newGrant(2 * time.Hour)
	dup.ID = g.ID
	errDup := s.SaveGrant(ctx, dup)
	got, err := s.Grant(ctx, g.ID)
	return errors.Join(
		wantErr("SaveGrant of a taken id", errDup, store.ErrAlreadyExists),
		sameRecord("Grant after a refused duplicate", got, g, err))
}

// checkGrantExpired checks that a grant and everything of it end at its
// ExpiresAt, and that its ID is free again then.
func checkGrantExpired(ctx context.Context, s store.Store) error {
	return expiresOnRead(ctx, s, "Grant", func(exp time.Time) (func(bool) error, error) {
		g := newGrant(0)
		g.ExpiresAt = exp
		r := newRefresh(0)
		r.ExpiresAt = exp
		g = withRefresh(g, r)
		code, access := newCode(g.ID, 0), newAccess(g.ID, 0)
		code.ExpiresAt, access.ExpiresAt = exp, exp
		if err := errors.Join(s.SaveGrant(ctx, g), s.SaveCode(ctx, code), s.SaveAccessToken(ctx, access)); err != nil {
			return nil, err
		}
		return func(after bool) error {
			gotG, errG := s.Grant(ctx, g.ID)
			if !after {
				return errG
			}
			gotC, errC := s.Code(ctx, g.ID, code.Hash)
			gotA, errA := s.AccessToken(ctx, access.Hash)
			gotR, errR := s.RotateRefreshToken(ctx, g.ID, r.Hash, newRefresh(30*time.Minute))
			errs := []error{
				zeroWith("Grant of an expired grant", gotG, errG, store.ErrNotFound),
				zeroWith("Code of an expired grant", gotC, errC, store.ErrNotFound),
				zeroWith("AccessToken of an expired grant", gotA, errA, store.ErrNotFound),
				zeroWith("RotateRefreshToken of an expired grant", gotR, errR, store.ErrNotFound),
			}
			// The ID is free again, and nothing of the old grant comes back.
			again := newGrant(time.Hour)
			again.ID = g.ID
			if err := s.SaveGrant(ctx, again); err != nil {
				return errors.Join(append(errs, noErr("SaveGrant of an expired grant's id", err))...)
			}
			gotAgain, err := s.Grant(ctx, g.ID)
			_, errC = s.Code(ctx, g.ID, code.Hash)
			_, errA = s.AccessToken(ctx, access.Hash)
			errs = append(errs,
				sameRecord("Grant saved under an expired grant's id", gotAgain, again, err),
				wantErr("Code of the expired grant after its id was saved again", errC, store.ErrNotFound),
				wantErr("AccessToken of the expired grant after its id was saved again", errA, store.ErrNotFound))
			return errors.Join(errs...)
		}, nil
	})
}

// grantFamily is everything a grant can have: a rotated refresh token, a
// pending code, a consumed code and an access token.
type grantFamily struct {
	grant            store.Grant // as stored after the rotation
	retired, current string      // refresh token hashes
	code, consumed   store.AuthCode
	access           store.AccessToken
}

func saveFamily(ctx context.Context, s store.Store) (grantFamily, error) {
	g, err := saveGrant(ctx, s, true)
	if err != nil {
		return grantFamily{}, err
	}
	next := newRefresh(30 * time.Minute)
	if _, err := s.RotateRefreshToken(ctx, g.ID, g.RefreshHash, next); err != nil {
		return grantFamily{}, noErr("RotateRefreshToken", err)
	}
	f := grantFamily{
		grant:   installed(g, g.RefreshHash, next),
		retired: g.RefreshHash, current: next.Hash,
		code: newCode(g.ID, time.Minute), consumed: newCode(g.ID, time.Minute),
		access: newAccess(g.ID, 30*time.Minute),
	}
	err = errors.Join(s.SaveCode(ctx, f.code), s.SaveCode(ctx, f.consumed), s.SaveAccessToken(ctx, f.access))
	if err != nil {
		return f, noErr("saving codes and tokens of a grant", err)
	}
	_, err = s.ConsumeCode(ctx, g.ID, f.consumed.Hash)
	return f, noErr("ConsumeCode", err)
}

// familyGone checks that nothing of f can be read.
func familyGone(ctx context.Context, s store.Store, f grantFamily, what string) error {
	id := f.grant.ID
	gotG, errG := s.Grant(ctx, id)
	gotC, errC := s.Code(ctx, id, f.code.Hash)
	gotU, errU := s.Code(ctx, id, f.consumed.Hash)
	gotCC, errCC := s.ConsumeCode(ctx, id, f.code.Hash)
	gotUC, errUC := s.ConsumeCode(ctx, id, f.consumed.Hash)
	gotA, errA := s.AccessToken(ctx, f.access.Hash)
	gotR, errR := s.RotateRefreshToken(ctx, id, f.current, newRefresh(time.Minute))
	gotP, errP := s.RotateRefreshToken(ctx, id, f.retired, newRefresh(time.Minute))
	return errors.Join(
		zeroWith(what+": Grant", gotG, errG, store.ErrNotFound),
		zeroWith(what+": Code of a pending code", gotC, errC, store.ErrNotFound),
		zeroWith(what+": Code of a consumed code", gotU, errU, store.ErrNotFound),
		zeroWith(what+": ConsumeCode of a pending code", gotCC, errCC, store.ErrNotFound),
		zeroWith(what+": ConsumeCode of a consumed code", gotUC, errUC, store.ErrNotFound),
		zeroWith(what+": AccessToken", gotA, errA, store.ErrNotFound),
		zeroWith(what+": RotateRefreshToken of the current refresh token", gotR, errR, store.ErrNotFound),
		zeroWith(what+": RotateRefreshToken of a retired refresh token", gotP, errP, store.ErrNotFound))
}

func checkGrantRevoke(ctx context.Context, s store.Store) error {
	revoked, err := saveFamily(ctx, s)
	if err != nil {
		return fmt.Errorf("the revoked grant: %w", err)
	}
	kept, err := saveFamily(ctx, s)
	if err != nil {
		return fmt.Errorf("the other grant: %w", err)
	}
	noGrant := newAccess("", time.Hour)
	if err := s.SaveAccessToken(ctx, noGrant); err != nil {
		return noErr("SaveAccessToken without a grant", err)
	}
	if err := s.RevokeGrant(ctx, revoked.grant.ID); err != nil {
		return noErr("RevokeGrant", err)
	}
	errs := []error{familyGone(ctx, s, revoked, "revoked grant")}

	// The other grant and the grantless token are untouched.
	gotG, errG := s.Grant(ctx, kept.grant.ID)
	gotC, errC := s.Code(ctx, kept.grant.ID, kept.code.Hash)
	gotU, errU := s.Code(ctx, kept.grant.ID, kept.consumed.Hash)
	gotA, errA := s.AccessToken(ctx, kept.access.Hash)
	gotN, errN := s.AccessToken(ctx, noGrant.Hash)
	errs = append(errs,
		sameRecord("other grant: Grant", gotG, kept.grant, errG),
		sameRecord("other grant: Code", gotC, kept.code, errC),
		reusedRecord("other grant: Code of the consumed code", gotU, kept.consumed, errU),
		sameRecord("other grant: AccessToken", gotA, kept.access, errA),
		sameRecord("AccessToken without a grant", gotN, noGrant, errN),
		noErr("RevokeGrant of a revoked grant", s.RevokeGrant(ctx, revoked.grant.ID)))
	return errors.Join(errs...)
}

// checkGrantRevokeHidesLater checks that codes and access tokens saved for
// a grant after its revocation are refused and never readable.
func checkGrantRevokeHidesLater(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, true)
	if err != nil {
		return err
	}
	if err := s.RevokeGrant(ctx, g.ID); err != nil {
		return noErr("RevokeGrant", err)
	}
	code, access := newCode(g.ID, time.Minute), newAccess(g.ID, time.Minute)
	errCode, errAccess := s.SaveCode(ctx, code), s.SaveAccessToken(ctx, access)
	gotC, errC := s.Code(ctx, g.ID, code.Hash)
	gotCC, errCC := s.ConsumeCode(ctx, g.ID, code.Hash)
	gotA, errA := s.AccessToken(ctx, access.Hash)
	return errors.Join(
		wantErr("SaveCode for a revoked grant", errCode, store.ErrNotFound),
		wantErr("SaveAccessToken for a revoked grant", errAccess, store.ErrNotFound),
		zeroWith("Code saved after RevokeGrant", gotC, errC, store.ErrNotFound),
		zeroWith("ConsumeCode of a code saved after RevokeGrant", gotCC, errCC, store.ErrNotFound),
		zeroWith("AccessToken saved after RevokeGrant", gotA, errA, store.ErrNotFound))
}

// checkGrantRevokedIDTaken checks that a revoked grant's ID cannot be saved
// again while the grant would have lived, so its records never come back.
func checkGrantRevokedIDTaken(ctx context.Context, s store.Store) error {
	f, err := saveFamily(ctx, s)
	if err != nil {
		return err
	}
	if err := s.RevokeGrant(ctx, f.grant.ID); err != nil {
		return noErr("RevokeGrant", err)
	}
	again := newGrant(time.Minute)
	again.ID = f.grant.ID
	return errors.Join(
		wantErr("SaveGrant of a revoked grant's id", s.SaveGrant(ctx, f.grant), store.ErrAlreadyExists),
		wantErr("SaveGrant of a new grant under a revoked grant's id", s.SaveGrant(ctx, again), store.ErrAlreadyExists),
		familyGone(ctx, s, f, "revoked grant after saving its id again"))
}

func checkGrantRevokeUnknown(ctx context.Context, s store.Store) error {
	id := randomID("grant")
	errs := []error{
		noErr("RevokeGrant of an unknown grant", s.RevokeGrant(ctx, id)),
		noErr("RevokeGrant of an unknown grant, again", s.RevokeGrant(ctx, id)),
		noErr("RevokeGrant of the empty id", s.RevokeGrant(ctx, "")),
	}
	// Revoking an unknown grant changes nothing.
	g := newGrant(time.Hour)
	g.ID = id
	if err := s.SaveGrant(ctx, g); err != nil {
		return errors.Join(append(errs, noErr("SaveGrant under an id revoked while unknown", err))...)
	}
	got, err := s.Grant(ctx, id)
	return errors.Join(append(errs, sameRecord("Grant saved under an id revoked while unknown", got, g, err))...)
}
