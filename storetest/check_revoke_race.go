package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/kunci/kunci/store"
)

// The roles of the goroutines checkGrantRevokeRace releases together: the
// first revokes the grant, the others take turns at the other four.
const (
	roleSaveCode = iota
	roleSaveAccess
	roleRotate
	roleConsume
	roleCount
)

// revokeRacer is the racer that revokes; racer i > revokeRacer has role
// (i-1)%roleCount.
const revokeRacer = 0

func raceRole(i int) int { return (i - 1) % roleCount }

// revokeRound is one round of checkGrantRevokeRace: the grant, the code the
// consumers race for, what each racer saves or rotates to, and what each
// got back.
type revokeRound struct {
	grant   store.Grant
	pending store.AuthCode
	codes   []store.AuthCode    // SaveCode racers'
	tokens  []store.AccessToken // SaveAccessToken racers'
	next    []store.RefreshState
	late    []bool // the call started after RevokeGrant returned
	gotCode []store.AuthCode
	gotRot  []store.Grant
}

func newRevokeRound(g store.Grant, pending store.AuthCode) *revokeRound {
	r := &revokeRound{
		grant: g, pending: pending,
		codes: make([]store.AuthCode, racers), tokens: make([]store.AccessToken, racers),
		next: make([]store.RefreshState, racers), late: make([]bool, racers),
		gotCode: make([]store.AuthCode, racers), gotRot: make([]store.Grant, racers),
	}
	for i := range racers {
		r.codes[i] = newCode(g.ID, time.Minute)
		r.tokens[i] = newAccess(g.ID, 30*time.Minute)
		r.next[i] = newRefresh(30 * time.Minute)
	}
	return r
}

// checkGrantRevokeRace races RevokeGrant of a grant against SaveCode,
// SaveAccessToken, RotateRefreshToken and ConsumeCode of the same grant, in
// several rounds. Each call must come out as if it ran wholly before the
// revocation or wholly after it: it may succeed (its record is then ended by
// the revocation) or find the grant gone, and a call that started after
// RevokeGrant returned must find it gone. Afterwards nothing of the grant is
// readable, whatever the interleaving (RFC 7009 §2.1).
func checkGrantRevokeRace(ctx context.Context, s store.Store) error {
	return inRounds(func() error {
		g, err := saveGrant(ctx, s, true)
		if err != nil {
			return err
		}
		pending := newCode(g.ID, time.Minute)
		if err := s.SaveCode(ctx, pending); err != nil {
			return noErr("SaveCode", err)
		}
		r := newRevokeRound(g, pending)
		var revoked atomic.Bool
		results := race(func(i int) error {
			if i == revokeRacer {
				err := s.RevokeGrant(ctx, g.ID)
				revoked.Store(true)
				return err
			}
			r.late[i] = revoked.Load()
			switch raceRole(i) {
			case roleSaveCode:
				return s.SaveCode(ctx, r.codes[i])
			case roleSaveAccess:
				return s.SaveAccessToken(ctx, r.tokens[i])
			case roleRotate:
				var err error
				r.gotRot[i], err = s.RotateRefreshToken(ctx, g.ID, g.RefreshHash, r.next[i])
				return err
			default:
				var err error
				r.gotCode[i], err = s.ConsumeCode(ctx, g.ID, pending.Hash)
				return err
			}
		})
		errs := []error{noErr("RevokeGrant racing calls on its grant", results[revokeRacer])}
		errs = append(errs, r.checkSaves(results)...)
		errs = append(errs, r.checkRotations(results)...)
		errs = append(errs, r.checkConsumptions(results)...)
		errs = append(errs, r.gone(ctx, s))
		return joinDistinct(errs)
	})
}

// checkSaves checks the SaveCode and SaveAccessToken racers: each succeeded
// or found the grant gone, and none that started after RevokeGrant returned
// succeeded.
func (r *revokeRound) checkSaves(results []error) []error {
	var errs []error
	for i, err := range results {
		var op string
		switch {
		case i == revokeRacer:
			continue
		case raceRole(i) == roleSaveCode:
			op = "SaveCode"
		case raceRole(i) == roleSaveAccess:
			op = "SaveAccessToken"
		default:
			continue
		}
		switch {
		case err == nil && r.late[i]:
			errs = append(errs, fmt.Errorf("%s that started after RevokeGrant returned succeeded, want %v", op, store.ErrNotFound))
		case err != nil && !errors.Is(err, store.ErrNotFound):
			errs = append(errs, fmt.Errorf("%s racing RevokeGrant: got error %q, want nil or %v", op, err, store.ErrNotFound))
		}
	}
	return errs
}

// checkRotations checks the RotateRefreshToken racers, all from the
// grant's refresh token: the winner, if any, got the grant as saved, and a
// loser got it as the winner left it.
func (r *revokeRound) checkRotations(results []error) []error {
	return checkSingleUse(results, r.late, roleRotate, "RotateRefreshToken", r.gotRot, r.grant,
		func(winner int) store.Grant { return installed(r.grant, r.grant.RefreshHash, r.next[winner]) })
}

// checkConsumptions checks the ConsumeCode racers, all of the one pending
// code: the winner, if any, and every loser got the code.
func (r *revokeRound) checkConsumptions(results []error) []error {
	return checkSingleUse(results, r.late, roleConsume, "ConsumeCode", r.gotCode, r.pending,
		func(int) store.AuthCode { return r.pending })
}

// checkSingleUse checks the racers of a single-use step (role, named op),
// which returned got[i] with results[i] and started after RevokeGrant
// returned if late[i]. At most one succeeded, with
// winnerWant; a loser got loserWant(winner) with ErrReused after a win, or
// the zero record with ErrNotFound; a call that started after RevokeGrant
// returned got the zero record with ErrNotFound.
func checkSingleUse[T any](results []error, late []bool, role int, op string, got []T, winnerWant T, loserWant func(winner int) T) []error {
	var errs []error
	winner := -1
	for i, err := range results {
		if i == revokeRacer || raceRole(i) != role || err != nil {
			continue
		}
		if winner >= 0 {
			errs = append(errs, fmt.Errorf("%s calls %d and %d racing RevokeGrant both succeeded", op, winner, i))
			continue
		}
		winner = i
		errs = append(errs, diff("winning "+op+" racing RevokeGrant", got[i], winnerWant))
	}
	for i, err := range results {
		if i == revokeRacer || raceRole(i) != role {
			continue
		}
		switch {
		case late[i] || errors.Is(err, store.ErrNotFound):
			errs = append(errs, zeroWith(lateOr(late[i], op), got[i], err, store.ErrNotFound))
		case err == nil: // the winner, or a second one reported above
		case !errors.Is(err, store.ErrReused):
			errs = append(errs, fmt.Errorf("%s racing RevokeGrant: got error %q, want nil, %v or %v", op, err, store.ErrReused, store.ErrNotFound))
		case winner < 0:
			errs = append(errs, fmt.Errorf("%s racing RevokeGrant reported a reuse, but no call succeeded", op))
		default:
			errs = append(errs, reusedRecord("losing "+op+" racing RevokeGrant", got[i], loserWant(winner), err))
		}
	}
	return errs
}

// lateOr names a racing call by whether it started after RevokeGrant
// returned.
func lateOr(late bool, op string) string {
	if late {
		return op + " that started after RevokeGrant returned"
	}
	return op + " racing RevokeGrant"
}

// gone checks that nothing of the round's grant is readable once the race
// is over, and that nothing more can be saved for it.
func (r *revokeRound) gone(ctx context.Context, s store.Store) error {
	id := r.grant.ID
	gotG, errG := s.Grant(ctx, id)
	errs := []error{zeroWith("Grant revoked in a race", gotG, errG, store.ErrNotFound)}
	codes := []store.AuthCode{r.pending}
	hashes := []string{r.grant.RefreshHash, ""}
	for i := range racers {
		switch {
		case i == revokeRacer:
		case raceRole(i) == roleSaveCode:
			codes = append(codes, r.codes[i])
		case raceRole(i) == roleSaveAccess:
			got, err := s.AccessToken(ctx, r.tokens[i].Hash)
			errs = append(errs, zeroWith("AccessToken saved while its grant was revoked", got, err, store.ErrNotFound))
		case raceRole(i) == roleRotate:
			hashes = append(hashes, r.next[i].Hash)
		}
	}
	for _, c := range codes {
		got, err := s.Code(ctx, id, c.Hash)
		errs = append(errs, zeroWith("Code of a grant revoked in a race", got, err, store.ErrNotFound))
		got, err = s.ConsumeCode(ctx, id, c.Hash)
		errs = append(errs, zeroWith("ConsumeCode of a grant revoked in a race", got, err, store.ErrNotFound))
	}
	for _, h := range hashes {
		got, err := s.RotateRefreshToken(ctx, id, h, newRefresh(time.Minute))
		errs = append(errs, zeroWith("RotateRefreshToken of a grant revoked in a race", got, err, store.ErrNotFound))
	}
	code, access := newCode(id, time.Minute), newAccess(id, time.Minute)
	errs = append(errs,
		wantErr("SaveCode after a grant was revoked in a race", s.SaveCode(ctx, code), store.ErrNotFound),
		wantErr("SaveAccessToken after a grant was revoked in a race", s.SaveAccessToken(ctx, access), store.ErrNotFound))
	return joinDistinct(errs)
}
