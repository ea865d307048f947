package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

func checkRefreshSaveLookup(ctx context.Context, s store.Store) error {
	t := newRefresh(randomID("grant"), time.Hour)
	if err := s.SaveRefreshToken(ctx, t); err != nil {
		return noErr("SaveRefreshToken", err)
	}
	got, err := s.RefreshToken(ctx, t.Hash)
	if err != nil {
		return noErr("RefreshToken", err)
	}
	return diff("RefreshToken", got, t)
}

func checkRefreshRequiresGrant(ctx context.Context, s store.Store) error {
	t := newRefresh("", time.Hour)
	err := s.SaveRefreshToken(ctx, t)
	_, errRead := s.RefreshToken(ctx, t.Hash)
	return errors.Join(
		wantErr("SaveRefreshToken without a grant", err, store.ErrInvalid),
		wantErr("RefreshToken of a refused token", errRead, store.ErrNotFound))
}

func checkRefreshDuplicate(ctx context.Context, s store.Store) error {
	t := newRefresh(randomID("grant"), time.Hour)
	if err := s.SaveRefreshToken(ctx, t); err != nil {
		return noErr("SaveRefreshToken", err)
	}
	dup := newRefresh(randomID("grant"), 2*time.Hour)
	dup.Hash = t.Hash
	errDup := s.SaveRefreshToken(ctx, dup)
	got, err := s.RefreshToken(ctx, t.Hash)
	return errors.Join(
		wantErr("SaveRefreshToken of a taken hash", errDup, store.ErrAlreadyExists),
		sameRecord("RefreshToken after a refused duplicate", got, t, err))
}

// retiredAs returns what old should read as once rotated to successorHash.
func retiredAs(old store.RefreshToken, successorHash string, rotatedAt time.Time) store.RefreshToken {
	old.SuccessorHash = successorHash
	old.RotatedAt = rotatedAt
	return old
}

// checkRotatedAt reports whether a retired token's RotatedAt falls within
// the rotation call, at microsecond precision.
func checkRotatedAt(what string, got store.RefreshToken, before, after time.Time) error {
	lo, hi := before.Truncate(time.Microsecond), after.Add(time.Microsecond)
	if got.RotatedAt.Before(lo) || got.RotatedAt.After(hi) {
		return fmt.Errorf("%s: RotatedAt = %s, want between %s and %s", what,
			got.RotatedAt.Format(time.RFC3339Nano), lo.Format(time.RFC3339Nano), hi.Format(time.RFC3339Nano))
	}
	return nil
}

func checkRefreshRotate(ctx context.Context, s store.Store) error {
	a := newRefresh(randomID("grant"), time.Hour)
	if err := s.SaveRefreshToken(ctx, a); err != nil {
		return noErr("SaveRefreshToken", err)
	}
	b := successor(a, 2*time.Hour)
	before := time.Now()
	old, err := s.RotateRefreshToken(ctx, a.Hash, b)
	after := time.Now()
	if err != nil {
		return noErr("RotateRefreshToken", err)
	}
	var errs []error
	errs = append(errs, diff("RotateRefreshToken result (the record before rotation)", old, a))

	gotB, err := s.RefreshToken(ctx, b.Hash)
	errs = append(errs, noErr("RefreshToken of the successor", err))
	if err == nil {
		errs = append(errs, diff("successor RefreshToken", gotB, b))
	}
	gotA, err := s.RefreshToken(ctx, a.Hash)
	errs = append(errs, noErr("RefreshToken of the rotated token", err))
	if err == nil {
		errs = append(errs,
			checkRotatedAt("rotated RefreshToken", gotA, before, after),
			diff("rotated RefreshToken", gotA, retiredAs(a, b.Hash, gotA.RotatedAt)))
	}

	// The successor rotates in turn.
	c := successor(b, 3*time.Hour)
	old, err = s.RotateRefreshToken(ctx, b.Hash, c)
	errs = append(errs, noErr("RotateRefreshToken of the successor", err))
	if err == nil {
		errs = append(errs, diff("second RotateRefreshToken result", old, b))
	}
	return errors.Join(errs...)
}

func checkRefreshRotateConcurrent(ctx context.Context, s store.Store) error {
	a := newRefresh(randomID("grant"), time.Hour)
	if err := s.SaveRefreshToken(ctx, a); err != nil {
		return noErr("SaveRefreshToken", err)
	}
	next := make([]store.RefreshToken, racers)
	for i := range next {
		next[i] = successor(a, time.Hour)
	}
	got := make([]store.RefreshToken, racers)
	results := race(func(i int) error {
		var err error
		got[i], err = s.RotateRefreshToken(ctx, a.Hash, next[i])
		return err
	})
	winner := -1
	var errs []error
	for i, err := range results {
		switch {
		case err == nil:
			if winner >= 0 {
				errs = append(errs, fmt.Errorf("concurrent RotateRefreshToken: calls %d and %d both succeeded", winner, i))
			}
			winner = i
			errs = append(errs, diff("winning RotateRefreshToken", got[i], a))
		case !errors.Is(err, store.ErrReused):
			errs = append(errs, fmt.Errorf("losing RotateRefreshToken: got error %q, want %v", err, store.ErrReused))
		}
	}
	if winner < 0 {
		return joinDistinct(append(errs, fmt.Errorf("%d concurrent RotateRefreshToken calls: none succeeded", racers)))
	}
	for i, err := range results {
		if i == winner || !errors.Is(err, store.ErrReused) {
			continue
		}
		if got[i].SuccessorHash != next[winner].Hash {
			errs = append(errs, fmt.Errorf("losing RotateRefreshToken: SuccessorHash with ErrReused is not the winner's successor"))
		}
	}
	for i := range next {
		_, err := s.RefreshToken(ctx, next[i].Hash)
		if i == winner {
			errs = append(errs, noErr("RefreshToken of the winning successor", err))
		} else if !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("RefreshToken of a losing call's successor: got %v, want %v (a failed rotation must save nothing)", err, store.ErrNotFound))
		}
	}
	return joinDistinct(errs)
}

func checkRefreshReuseDetected(ctx context.Context, s store.Store) error {
	a := newRefresh(randomID("grant"), time.Hour)
	if err := s.SaveRefreshToken(ctx, a); err != nil {
		return noErr("SaveRefreshToken", err)
	}
	b := successor(a, time.Hour)
	before := time.Now()
	if _, err := s.RotateRefreshToken(ctx, a.Hash, b); err != nil {
		return noErr("RotateRefreshToken", err)
	}
	after := time.Now()
	var errs []error
	c := successor(a, time.Hour)
	got, err := s.RotateRefreshToken(ctx, a.Hash, c)
	if e := wantErr("RotateRefreshToken of a rotated token", err, store.ErrReused); e != nil {
		errs = append(errs, e)
	} else {
		// The retired record lets the server revoke the family (RFC 9700 §4.14.2).
		errs = append(errs,
			checkRotatedAt("retired RefreshToken with ErrReused", got, before, after),
			diff("retired RefreshToken with ErrReused", got, retiredAs(a, b.Hash, got.RotatedAt)))
	}
	_, err = s.RefreshToken(ctx, c.Hash)
	errs = append(errs, wantErr("RefreshToken of the successor offered with a reused token", err, store.ErrNotFound))
	read, err := s.RefreshToken(ctx, a.Hash)
	errs = append(errs, noErr("RefreshToken of the rotated token", err))
	if err == nil && !read.Rotated() {
		errs = append(errs, errors.New("RefreshToken of the rotated token: Rotated() = false, want true"))
	}
	return errors.Join(errs...)
}

func checkRefreshExpired(ctx context.Context, s store.Store) error {
	return expiresOnRead("RefreshToken", func(exp time.Time) (func(bool) error, error) {
		t := newRefresh(randomID("grant"), 0)
		t.ExpiresAt = exp
		if err := s.SaveRefreshToken(ctx, t); err != nil {
			return nil, err
		}
		return func(after bool) error {
			_, err := s.RefreshToken(ctx, t.Hash)
			if !after {
				return err
			}
			return wantErr("RefreshToken of an expired token", err, store.ErrNotFound)
		}, nil
	})
}

func checkRefreshRotateExpired(ctx context.Context, s store.Store) error {
	return expiresOnRead("RefreshToken", func(exp time.Time) (func(bool) error, error) {
		t := newRefresh(randomID("grant"), 0)
		t.ExpiresAt = exp
		if err := s.SaveRefreshToken(ctx, t); err != nil {
			return nil, err
		}
		return func(after bool) error {
			if !after {
				_, err := s.RefreshToken(ctx, t.Hash)
				return err
			}
			next := successor(t, time.Hour)
			_, err := s.RotateRefreshToken(ctx, t.Hash, next)
			_, errNext := s.RefreshToken(ctx, next.Hash)
			return errors.Join(
				wantErr("RotateRefreshToken of an expired token", err, store.ErrNotFound),
				wantErr("RefreshToken of the successor of an expired token", errNext, store.ErrNotFound))
		}, nil
	})
}

// checkRefreshRetiredExpires checks that a retired token stops being
// recognised once every record of its grant has expired.
func checkRefreshRetiredExpires(ctx context.Context, s store.Store) error {
	return expiresOnRead("rotated RefreshToken", func(exp time.Time) (func(bool) error, error) {
		a := newRefresh(randomID("grant"), 0)
		a.ExpiresAt = exp
		if err := s.SaveRefreshToken(ctx, a); err != nil {
			return nil, err
		}
		b := successor(a, 0)
		b.ExpiresAt = exp
		if _, err := s.RotateRefreshToken(ctx, a.Hash, b); err != nil {
			if !time.Now().Before(exp) {
				return nil, store.ErrExpired // too slow; expiresOnRead tries a longer life
			}
			return nil, err
		}
		return func(after bool) error {
			got, err := s.RefreshToken(ctx, a.Hash)
			if !after {
				if err == nil && !got.Rotated() {
					return errors.New("RefreshToken of the rotated token: Rotated() = false, want true")
				}
				return err
			}
			_, errRotate := s.RotateRefreshToken(ctx, a.Hash, successor(a, time.Hour))
			_, errB := s.RefreshToken(ctx, b.Hash)
			return errors.Join(
				wantErr("RefreshToken of a rotated token whose grant expired", err, store.ErrNotFound),
				wantErr("RotateRefreshToken of a rotated token whose grant expired", errRotate, store.ErrNotFound),
				wantErr("RefreshToken of an expired successor", errB, store.ErrNotFound))
		}, nil
	})
}

func checkRefreshRotateOtherGrant(ctx context.Context, s store.Store) error {
	a := newRefresh(randomID("grant"), time.Hour)
	if err := s.SaveRefreshToken(ctx, a); err != nil {
		return noErr("SaveRefreshToken", err)
	}
	var errs []error
	for _, grantID := range []string{randomID("grant"), ""} {
		next := successor(a, time.Hour)
		next.GrantID = grantID
		_, err := s.RotateRefreshToken(ctx, a.Hash, next)
		errs = append(errs, wantErr(fmt.Sprintf("RotateRefreshToken to a successor of grant %q", grantID), err, store.ErrInvalid))
		_, err = s.RefreshToken(ctx, next.Hash)
		errs = append(errs, wantErr("RefreshToken of a refused successor", err, store.ErrNotFound))
	}
	got, err := s.RefreshToken(ctx, a.Hash)
	errs = append(errs, noErr("RefreshToken after refused rotations", err))
	if err == nil {
		errs = append(errs, diff("RefreshToken after refused rotations", got, a))
	}
	return errors.Join(errs...)
}

// checkRefreshRotateTakenHash checks that a rotation whose successor hash is
// taken fails as a whole and leaves the old token live.
func checkRefreshRotateTakenHash(ctx context.Context, s store.Store) error {
	a := newRefresh(randomID("grant"), time.Hour)
	other := newAccess(a.GrantID, time.Hour)
	if err := errors.Join(s.SaveRefreshToken(ctx, a), s.SaveAccessToken(ctx, other)); err != nil {
		return noErr("save", err)
	}
	var errs []error
	for _, hash := range []string{other.Hash, a.Hash} {
		next := successor(a, time.Hour)
		next.Hash = hash
		_, err := s.RotateRefreshToken(ctx, a.Hash, next)
		errs = append(errs, wantErr("RotateRefreshToken to a taken successor hash", err, store.ErrAlreadyExists))
	}
	got, err := s.RefreshToken(ctx, a.Hash)
	errs = append(errs, noErr("RefreshToken after refused rotations", err))
	if err == nil {
		errs = append(errs, diff("RefreshToken after refused rotations", got, a))
	}
	gotOther, err := s.AccessToken(ctx, other.Hash)
	errs = append(errs, noErr("AccessToken whose hash a successor tried to take", err))
	if err == nil {
		errs = append(errs, diff("AccessToken whose hash a successor tried to take", gotOther, other))
	}
	return errors.Join(errs...)
}

func checkRefreshDelete(ctx context.Context, s store.Store) error {
	a := newRefresh(randomID("grant"), time.Hour)
	if err := s.SaveRefreshToken(ctx, a); err != nil {
		return noErr("SaveRefreshToken", err)
	}
	if err := s.DeleteToken(ctx, a.Hash); err != nil {
		return noErr("DeleteToken", err)
	}
	_, err := s.RefreshToken(ctx, a.Hash)
	_, errRotate := s.RotateRefreshToken(ctx, a.Hash, successor(a, time.Hour))
	return errors.Join(
		wantErr("RefreshToken after DeleteToken", err, store.ErrNotFound),
		wantErr("RotateRefreshToken after DeleteToken", errRotate, store.ErrNotFound))
}
