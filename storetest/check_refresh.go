package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

// rotate rotates grant g from oldHash to a fresh refresh token issued at
// issuedAt, and returns the grant as it should read afterwards.
func rotate(ctx context.Context, s store.Store, g store.Grant, oldHash string, issuedAt time.Time) (store.Grant, store.RefreshState, error) {
	next := newRefresh(30 * time.Minute)
	next.IssuedAt = issuedAt
	old, err := s.RotateRefreshToken(ctx, g.ID, oldHash, next)
	if err != nil {
		return g, next, noErr("RotateRefreshToken", err)
	}
	return installed(g, oldHash, next), next, diff("RotateRefreshToken result (the grant before)", old, g)
}

func checkRefreshFirst(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	want, _, err := rotate(ctx, s, g, "", now().Add(-time.Minute))
	if err != nil {
		return fmt.Errorf("first refresh token: %w", err)
	}
	got, err := s.Grant(ctx, g.ID)
	return sameRecord("Grant after its first refresh token (no rotation counted)", got, want, err)
}

func checkRefreshFirstTwice(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, false)
	if err != nil {
		return err
	}
	want, _, err := rotate(ctx, s, g, "", now())
	if err != nil {
		return err
	}
	again, errAgain := s.RotateRefreshToken(ctx, g.ID, "", newRefresh(time.Minute))
	got, err := s.Grant(ctx, g.ID)
	return errors.Join(
		reusedRecord("RotateRefreshToken with oldHash \"\" of a grant that has a refresh token", again, want, errAgain),
		sameRecord("Grant after a refused first refresh token", got, want, err))
}

// checkRefreshRotate checks a rotation and the next one, and that RotatedAt
// is the caller's next.IssuedAt, never a time the store stamps.
func checkRefreshRotate(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, true)
	if err != nil {
		return err
	}
	b, _, err := rotate(ctx, s, g, g.RefreshHash, now().Add(-90*time.Second))
	if err != nil {
		return fmt.Errorf("first rotation: %w", err)
	}
	got, err := s.Grant(ctx, g.ID)
	if err := sameRecord("Grant after a rotation", got, b, err); err != nil {
		return err
	}
	c, _, err := rotate(ctx, s, b, b.RefreshHash, now().Add(-30*time.Second))
	if err != nil {
		return fmt.Errorf("second rotation: %w", err)
	}
	got, err = s.Grant(ctx, g.ID)
	return sameRecord("Grant after two rotations", got, c, err)
}

// checkRotationRace races RotateRefreshToken calls of one grant from
// oldHash, in several rounds, and checks every caller's result: the winner
// gets the grant as it was, every loser ErrReused with the grant as the
// winner left it.
func checkRotationRace(ctx context.Context, s store.Store, withRefreshToken bool) error {
	return inRounds(func() error {
		g, err := saveGrant(ctx, s, withRefreshToken)
		if err != nil {
			return err
		}
		oldHash := g.RefreshHash
		next := make([]store.RefreshState, racers)
		for i := range next {
			next[i] = newRefresh(30 * time.Minute)
		}
		got := make([]store.Grant, racers)
		results := race(func(i int) error {
			var err error
			got[i], err = s.RotateRefreshToken(ctx, g.ID, oldHash, next[i])
			return err
		})
		winner := -1
		var errs []error
		for i, err := range results {
			if err != nil {
				continue
			}
			if winner >= 0 {
				errs = append(errs, fmt.Errorf("RotateRefreshToken calls %d and %d both succeeded", winner, i))
				continue
			}
			winner = i
			errs = append(errs, diff("winning RotateRefreshToken", got[i], g))
		}
		if winner < 0 {
			return joinDistinct(append(errs, fmt.Errorf("%d concurrent RotateRefreshToken calls: none succeeded", racers)))
		}
		want := installed(g, oldHash, next[winner])
		for i, err := range results {
			if i != winner {
				errs = append(errs, reusedRecord("losing RotateRefreshToken", got[i], want, err))
			}
		}
		final, err := s.Grant(ctx, g.ID)
		errs = append(errs, sameRecord("Grant after the race (the winner's refresh token)", final, want, err))
		return joinDistinct(errs)
	})
}

func checkRefreshRotateConcurrent(ctx context.Context, s store.Store) error {
	return checkRotationRace(ctx, s, true)
}

func checkRefreshFirstConcurrent(ctx context.Context, s store.Store) error {
	return checkRotationRace(ctx, s, false)
}

// checkRefreshReuseAfterRotations checks that every retired token, not only
// the last one, is recognised: a→b→c→d, then a, b and c are each a reuse
// (RFC 9700 §4.14.2), and d still rotates.
func checkRefreshReuseAfterRotations(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, true)
	if err != nil {
		return err
	}
	retired := []string{g.RefreshHash}
	cur := g
	for i := range 3 {
		if cur, _, err = rotate(ctx, s, cur, cur.RefreshHash, now()); err != nil {
			return fmt.Errorf("rotation %d: %w", i+1, err)
		}
		retired = append(retired, cur.RefreshHash)
	}
	retired = retired[:3]
	var errs []error
	for i, h := range retired {
		got, err := s.RotateRefreshToken(ctx, g.ID, h, newRefresh(30*time.Minute))
		errs = append(errs, reusedRecord(fmt.Sprintf("RotateRefreshToken of the token retired by rotation %d of 3", i+1), got, cur, err))
	}
	got, err := s.Grant(ctx, g.ID)
	errs = append(errs, sameRecord("Grant after reuses", got, cur, err))
	if _, _, err := rotate(ctx, s, cur, cur.RefreshHash, now()); err != nil {
		errs = append(errs, fmt.Errorf("rotation of the current token after reuses: %w", err))
	}
	return errors.Join(errs...)
}

// checkRefreshRetiredPastOwnExpiry checks that a retired token is still a
// reuse once its own ExpiresAt has passed, while its grant lives.
func checkRefreshRetiredPastOwnExpiry(ctx context.Context, s store.Store) error {
	return expiresOnRead(ctx, s, "retired refresh token", func(exp time.Time) (func(bool) error, error) {
		g := newGrant(time.Hour)
		a := newRefresh(0)
		a.ExpiresAt = exp
		g = withRefresh(g, a)
		if err := s.SaveGrant(ctx, g); err != nil {
			return nil, err
		}
		var b store.Grant
		return func(after bool) error {
			if !after {
				var err error
				b, _, err = rotate(ctx, s, g, a.Hash, now())
				return err
			}
			got, err := s.RotateRefreshToken(ctx, g.ID, a.Hash, newRefresh(30*time.Minute))
			errs := []error{reusedRecord("RotateRefreshToken of a retired token past its own expiry", got, b, err)}
			gotG, err := s.Grant(ctx, g.ID)
			errs = append(errs, sameRecord("Grant after the reuse", gotG, b, err))
			if _, _, err := rotate(ctx, s, b, b.RefreshHash, now()); err != nil {
				errs = append(errs, fmt.Errorf("rotation of the live successor: %w", err))
			}
			return errors.Join(errs...)
		}, nil
	})
}

// checkRefreshCurrentExpired checks that an expired current refresh token
// no longer rotates, while its grant stays live and unchanged.
func checkRefreshCurrentExpired(ctx context.Context, s store.Store) error {
	return expiresOnRead(ctx, s, "current refresh token", func(exp time.Time) (func(bool) error, error) {
		a := newRefresh(0)
		a.ExpiresAt = exp
		g := withRefresh(newGrant(time.Hour), a)
		if err := s.SaveGrant(ctx, g); err != nil {
			return nil, err
		}
		return func(after bool) error {
			got, err := s.Grant(ctx, g.ID)
			if !after {
				return err
			}
			rot, errRot := s.RotateRefreshToken(ctx, g.ID, a.Hash, newRefresh(30*time.Minute))
			first, errFirst := s.RotateRefreshToken(ctx, g.ID, "", newRefresh(30*time.Minute))
			gotAfter, errAfter := s.Grant(ctx, g.ID)
			return errors.Join(
				sameRecord("Grant whose refresh token expired", got, g, err),
				zeroWith("RotateRefreshToken of an expired refresh token", rot, errRot, store.ErrNotFound),
				reusedRecord("RotateRefreshToken with oldHash \"\" of a grant whose refresh token expired", first, g, errFirst),
				sameRecord("Grant after refused rotations", gotAfter, g, errAfter))
		}, nil
	})
}

// checkRefreshRotateInvalid checks every refusal of a successor, that each
// leaves the grant as it was, and that a reuse is reported whatever the
// successor.
func checkRefreshRotateInvalid(ctx context.Context, s store.Store) error {
	g, err := saveGrant(ctx, s, true)
	if err != nil {
		return err
	}
	successor := func(edit func(*store.RefreshState)) store.RefreshState {
		r := newRefresh(time.Minute)
		edit(&r)
		return r
	}
	var errs []error
	for _, tc := range []struct {
		name string
		next store.RefreshState
		want error
	}{
		{"without a hash", successor(func(r *store.RefreshState) { r.Hash = "" }), store.ErrInvalid},
		{"with the current hash", successor(func(r *store.RefreshState) { r.Hash = g.RefreshHash }), store.ErrInvalid},
		{"without an issue time", successor(func(r *store.RefreshState) { r.IssuedAt = time.Time{} }), store.ErrInvalid},
		{"that outlives the grant", successor(func(r *store.RefreshState) { r.ExpiresAt = g.ExpiresAt.Add(time.Microsecond) }), store.ErrInvalid},
		{"without an expiry", successor(func(r *store.RefreshState) { r.ExpiresAt = time.Time{} }), store.ErrExpired},
		{"that expired an hour ago", successor(func(r *store.RefreshState) { r.ExpiresAt = now().Add(-time.Hour) }), store.ErrExpired},
		{"that expires now", successor(func(r *store.RefreshState) { r.ExpiresAt = now() }), store.ErrExpired},
	} {
		got, err := s.RotateRefreshToken(ctx, g.ID, g.RefreshHash, tc.next)
		errs = append(errs, zeroWith("RotateRefreshToken to a successor "+tc.name, got, err, tc.want))
		got, err = s.RotateRefreshToken(ctx, g.ID, randomHash(), tc.next)
		errs = append(errs, reusedRecord("RotateRefreshToken of a token that is not current, to a successor "+tc.name, got, g, err))
	}
	got, err := s.Grant(ctx, g.ID)
	errs = append(errs, sameRecord("Grant after refused rotations", got, g, err))
	if _, _, err := rotate(ctx, s, g, g.RefreshHash, now()); err != nil {
		errs = append(errs, fmt.Errorf("rotation after refused ones: %w", err))
	}
	// A successor may expire with its grant.
	b, err := s.Grant(ctx, g.ID)
	if err == nil {
		_, err = s.RotateRefreshToken(ctx, g.ID, b.RefreshHash, store.RefreshState{Hash: randomHash(), IssuedAt: now(), ExpiresAt: g.ExpiresAt})
	}
	errs = append(errs, noErr("rotation to a successor that expires with its grant", err))
	return errors.Join(errs...)
}

func checkRefreshNoGrant(ctx context.Context, s store.Store) error {
	got, err := s.RotateRefreshToken(ctx, randomID("grant"), randomHash(), newRefresh(30*time.Minute))
	gotFirst, errFirst := s.RotateRefreshToken(ctx, randomID("grant"), "", newRefresh(30*time.Minute))
	return errors.Join(
		zeroWith("RotateRefreshToken of an unknown grant", got, err, store.ErrNotFound),
		zeroWith("RotateRefreshToken with oldHash \"\" of an unknown grant", gotFirst, errFirst, store.ErrNotFound))
}
