package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

// grantRecords is one of every record a grant can have: a pending code, a
// consumed code, an access token, a retired refresh token and its live
// successor.
type grantRecords struct {
	code, consumed store.AuthCode
	access         store.AccessToken
	retired, live  store.RefreshToken
}

func saveGrant(ctx context.Context, s store.Store, grantID string) (grantRecords, error) {
	r := grantRecords{
		code:     newCode(grantID, time.Minute),
		consumed: newCode(grantID, time.Minute),
		access:   newAccess(grantID, time.Hour),
		retired:  newRefresh(grantID, time.Hour),
	}
	r.live = successor(r.retired, time.Hour)
	err := errors.Join(
		s.SaveCode(ctx, r.code),
		s.SaveCode(ctx, r.consumed),
		s.SaveAccessToken(ctx, r.access),
		s.SaveRefreshToken(ctx, r.retired))
	if err != nil {
		return r, err
	}
	if _, err := s.ConsumeCode(ctx, r.consumed.Hash); err != nil {
		return r, err
	}
	_, err = s.RotateRefreshToken(ctx, r.retired.Hash, r.live)
	return r, err
}

// readResult is what one read of a grant's record gave.
type readResult struct {
	name string
	err  error
}

// readGrant reads every record of r, in a fixed order.
func readGrant(ctx context.Context, s store.Store, r grantRecords) []readResult {
	var res [7]readResult
	res[0].name, res[1].name, res[2].name = "pending code (ConsumeCode)", "consumed code (ConsumeCode)", "access token (AccessToken)"
	res[3].name, res[4].name = "retired refresh token (RefreshToken)", "retired refresh token (RotateRefreshToken)"
	res[5].name, res[6].name = "live refresh token (RefreshToken)", "live refresh token (RotateRefreshToken)"
	_, res[0].err = s.ConsumeCode(ctx, r.code.Hash)
	_, res[1].err = s.ConsumeCode(ctx, r.consumed.Hash)
	_, res[2].err = s.AccessToken(ctx, r.access.Hash)
	_, res[3].err = s.RefreshToken(ctx, r.retired.Hash)
	_, res[4].err = s.RotateRefreshToken(ctx, r.retired.Hash, successor(r.retired, time.Hour))
	_, res[5].err = s.RefreshToken(ctx, r.live.Hash)
	_, res[6].err = s.RotateRefreshToken(ctx, r.live.Hash, successor(r.live, time.Hour))
	return res[:]
}

func checkGrantRevoke(ctx context.Context, s store.Store) error {
	revoked, kept := randomID("grant"), randomID("grant")
	r, err := saveGrant(ctx, s, revoked)
	if err != nil {
		return noErr("saving the records of the revoked grant", err)
	}
	k, err := saveGrant(ctx, s, kept)
	if err != nil {
		return noErr("saving the records of the other grant", err)
	}
	noGrant := newAccess("", time.Hour)
	if err := s.SaveAccessToken(ctx, noGrant); err != nil {
		return noErr("SaveAccessToken without a grant", err)
	}

	if err := s.RevokeGrant(ctx, revoked); err != nil {
		return noErr("RevokeGrant", err)
	}
	var errs []error
	for _, res := range readGrant(ctx, s, r) {
		errs = append(errs, wantErr("revoked grant: "+res.name, res.err, store.ErrNotFound))
	}
	errs = append(errs, revokedStaysRevoked(ctx, s, revoked))

	// Reading the other grant consumes and rotates its records, so what each
	// read gives is the same as without any revocation.
	want := []error{nil, store.ErrReused, nil, nil, store.ErrReused, nil, nil}
	for i, res := range readGrant(ctx, s, k) {
		if !errors.Is(res.err, want[i]) {
			errs = append(errs, fmt.Errorf("other grant: %s: got %v, want %v", res.name, res.err, want[i]))
		}
	}
	_, err = s.AccessToken(ctx, noGrant.Hash)
	errs = append(errs, noErr("AccessToken without a grant after RevokeGrant", err))
	return errors.Join(errs...)
}

// revokedStaysRevoked saves new records of a revoked grant and checks that
// none can be read. A store may also refuse to save them.
func revokedStaysRevoked(ctx context.Context, s store.Store, grantID string) error {
	code := newCode(grantID, time.Minute)
	access := newAccess(grantID, time.Hour)
	refresh := newRefresh(grantID, time.Hour)
	_ = s.SaveCode(ctx, code)
	_ = s.SaveAccessToken(ctx, access)
	_ = s.SaveRefreshToken(ctx, refresh)
	_, errCode := s.ConsumeCode(ctx, code.Hash)
	_, errAccess := s.AccessToken(ctx, access.Hash)
	_, errRefresh := s.RefreshToken(ctx, refresh.Hash)
	_, errRotate := s.RotateRefreshToken(ctx, refresh.Hash, successor(refresh, time.Hour))
	return errors.Join(
		wantErr("code saved after RevokeGrant (ConsumeCode)", errCode, store.ErrNotFound),
		wantErr("access token saved after RevokeGrant (AccessToken)", errAccess, store.ErrNotFound),
		wantErr("refresh token saved after RevokeGrant (RefreshToken)", errRefresh, store.ErrNotFound),
		wantErr("refresh token saved after RevokeGrant (RotateRefreshToken)", errRotate, store.ErrNotFound))
}

func checkGrantRevokeUnknown(ctx context.Context, s store.Store) error {
	grantID := randomID("grant")
	if err := s.RevokeGrant(ctx, grantID); err != nil {
		return noErr("RevokeGrant of an unknown grant", err)
	}
	return errors.Join(
		noErr("RevokeGrant of a revoked grant", s.RevokeGrant(ctx, grantID)),
		revokedStaysRevoked(ctx, s, grantID))
}
