package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

// checkConcurrencyPlainMethods calls every method that is not an atomic
// step from racers goroutines at once, each on records of its own and all
// on one shared grant, and checks that every call had its effect. A store
// that loses a concurrent write fails it; run the suite under -race to
// catch unguarded state that happens to give right answers.
func checkConcurrencyPlainMethods(ctx context.Context, s store.Store) error {
	shared, err := saveGrant(ctx, s, true)
	if err != nil {
		return err
	}
	results := race(func(i int) error {
		return plainMethods(ctx, s, shared, i)
	})
	return joinDistinct(results)
}

// plainMethods is one goroutine's share of checkConcurrencyPlainMethods.
func plainMethods(ctx context.Context, s store.Store, shared store.Grant, i int) error {
	c, g := newClient(), newGrant(time.Hour)
	code, access, own := newCode(shared.ID, time.Minute), newAccess(shared.ID, 30*time.Minute), newAccess(g.ID, 30*time.Minute)
	req, consent := newAuthRequest(time.Hour), newConsent(time.Hour)
	if i%2 == 1 {
		// Half the goroutines share a subject, so that their consents
		// differ only by client.
		consent.Subject = shared.Subject
	}
	if err := errors.Join(
		s.SaveClient(ctx, c), s.SaveGrant(ctx, g), s.SaveCode(ctx, code),
		s.SaveAccessToken(ctx, access), s.SaveAccessToken(ctx, own),
		s.SaveAuthRequest(ctx, req), s.SaveConsent(ctx, consent),
		s.UseOnce(ctx, fmt.Sprintf("once:%s:%d", shared.ID, i), now().Add(time.Minute)),
	); err != nil {
		return noErr("concurrent saves", err)
	}
	gotC, errC := s.Client(ctx, c.ID)
	gotG, errG := s.Grant(ctx, g.ID)
	gotS, errS := s.Grant(ctx, shared.ID)
	gotCode, errCode := s.Code(ctx, shared.ID, code.Hash)
	gotA, errA := s.AccessToken(ctx, access.Hash)
	gotR, errR := s.AuthRequest(ctx, req.ID)
	gotCon, errCon := s.Consent(ctx, consent.Subject, consent.ClientID)
	errs := []error{
		sameRecord("Client saved concurrently", gotC, c, errC),
		sameRecord("Grant saved concurrently", gotG, g, errG),
		sameRecord("shared Grant read concurrently", gotS, shared, errS),
		sameRecord("Code saved concurrently", gotCode, code, errCode),
		sameRecord("AccessToken saved concurrently", gotA, access, errA),
		sameRecord("AuthRequest saved concurrently", gotR, req, errR),
		sameRecord("Consent saved concurrently", gotCon, consent, errCon),
	}
	// Deletions and revocations of one's own records leave the others'.
	errs = append(errs,
		noErr("DeleteAccessToken", s.DeleteAccessToken(ctx, access.Hash)),
		noErr("DeleteConsent", s.DeleteConsent(ctx, consent.Subject, consent.ClientID)),
		noErr("RevokeGrant", s.RevokeGrant(ctx, g.ID)))
	_, errA = s.AccessToken(ctx, access.Hash)
	_, errCon = s.Consent(ctx, consent.Subject, consent.ClientID)
	_, errG = s.Grant(ctx, g.ID)
	_, errOwn := s.AccessToken(ctx, own.Hash)
	gotS, errS = s.Grant(ctx, shared.ID)
	errs = append(errs,
		wantErr("AccessToken deleted concurrently", errA, store.ErrNotFound),
		wantErr("Consent deleted concurrently", errCon, store.ErrNotFound),
		wantErr("Grant revoked concurrently", errG, store.ErrNotFound),
		wantErr("AccessToken of a grant revoked concurrently", errOwn, store.ErrNotFound),
		sameRecord("shared Grant after concurrent revocations of others", gotS, shared, errS))
	return errors.Join(errs...)
}
