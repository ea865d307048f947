package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

// plainRecords is what one goroutine of checkConcurrencyPlainMethods saves.
type plainRecords struct {
	client  store.Client
	grant   store.Grant
	code    store.AuthCode    // of the shared grant
	access  store.AccessToken // of the shared grant
	own     store.AccessToken // of the goroutine's grant
	request store.AuthRequest
	consent store.Consent
	once    string
}

func newPlainRecords(shared store.Grant, i int) plainRecords {
	r := plainRecords{
		client: newClient(), grant: newGrant(time.Hour),
		code: newCode(shared.ID, time.Minute), access: newAccess(shared.ID, 30*time.Minute),
		request: newAuthRequest(time.Hour), consent: newConsent(time.Hour),
		once: fmt.Sprintf("once:%s:%d", shared.ID, i),
	}
	r.own = newAccess(r.grant.ID, 30*time.Minute)
	if i%2 == 1 {
		// Half the goroutines share a subject, so that their consents
		// differ only by client.
		r.consent.Subject = shared.Subject
	}
	return r
}

// checkConcurrencyPlainMethods calls every method that is not an atomic
// step from racers goroutines at once, each on records of its own and all
// on one shared grant, then checks on its own that every call had its
// effect: a store that loses a concurrent write fails. Run the suite under
// -race to catch unguarded state that happens to give right answers.
func checkConcurrencyPlainMethods(ctx context.Context, s store.Store) error {
	shared, err := saveGrant(ctx, s, true)
	if err != nil {
		return err
	}
	recs := make([]plainRecords, racers)
	for i := range recs {
		recs[i] = newPlainRecords(shared, i)
	}
	// Saves and reads, all at once.
	errs := race(func(i int) error {
		r := recs[i]
		if err := errors.Join(
			s.SaveClient(ctx, r.client), s.SaveGrant(ctx, r.grant), s.SaveCode(ctx, r.code),
			s.SaveAccessToken(ctx, r.access), s.SaveAccessToken(ctx, r.own),
			s.SaveAuthRequest(ctx, r.request), s.SaveConsent(ctx, r.consent),
			s.UseOnce(ctx, r.once, now().Add(time.Minute)),
		); err != nil {
			return noErr("concurrent saves", err)
		}
		return plainSaved(ctx, s, shared, r, "concurrently")
	})
	if err := joinDistinct(errs); err != nil {
		return err
	}
	// Once all are done, every write is still there.
	for _, r := range recs {
		errs = append(errs, plainSaved(ctx, s, shared, r, "after concurrent saves"))
	}
	if err := joinDistinct(errs); err != nil {
		return err
	}
	// Deletions and revocations, all at once, of each goroutine's own.
	errs = race(func(i int) error {
		r := recs[i]
		return errors.Join(
			noErr("DeleteAccessToken", s.DeleteAccessToken(ctx, r.access.Hash)),
			noErr("DeleteConsent", s.DeleteConsent(ctx, r.consent.Subject, r.consent.ClientID)),
			noErr("RevokeGrant", s.RevokeGrant(ctx, r.grant.ID)),
			noErr("Client", func() error { _, err := s.Client(ctx, r.client.ID); return err }()),
			noErr("Grant of the shared grant", func() error { _, err := s.Grant(ctx, shared.ID); return err }()))
	})
	for _, r := range recs {
		_, errA := s.AccessToken(ctx, r.access.Hash)
		_, errCon := s.Consent(ctx, r.consent.Subject, r.consent.ClientID)
		_, errG := s.Grant(ctx, r.grant.ID)
		_, errOwn := s.AccessToken(ctx, r.own.Hash)
		gotCode, errCode := s.Code(ctx, shared.ID, r.code.Hash)
		errs = append(errs,
			wantErr("AccessToken deleted concurrently", errA, store.ErrNotFound),
			wantErr("Consent deleted concurrently", errCon, store.ErrNotFound),
			wantErr("Grant revoked concurrently", errG, store.ErrNotFound),
			wantErr("AccessToken of a grant revoked concurrently", errOwn, store.ErrNotFound),
			sameRecord("Code of the shared grant after concurrent revocations of others", gotCode, r.code, errCode))
	}
	gotS, errS := s.Grant(ctx, shared.ID)
	errs = append(errs, sameRecord("shared Grant after concurrent revocations of others", gotS, shared, errS))
	return joinDistinct(errs)
}

// plainSaved checks that the records of r read back as saved.
func plainSaved(ctx context.Context, s store.Store, shared store.Grant, r plainRecords, when string) error {
	gotC, errC := s.Client(ctx, r.client.ID)
	gotG, errG := s.Grant(ctx, r.grant.ID)
	gotS, errS := s.Grant(ctx, shared.ID)
	gotCode, errCode := s.Code(ctx, shared.ID, r.code.Hash)
	gotA, errA := s.AccessToken(ctx, r.access.Hash)
	gotOwn, errOwn := s.AccessToken(ctx, r.own.Hash)
	gotR, errR := s.AuthRequest(ctx, r.request.ID)
	gotCon, errCon := s.Consent(ctx, r.consent.Subject, r.consent.ClientID)
	return errors.Join(
		sameRecord("Client "+when, gotC, r.client, errC),
		sameRecord("Grant "+when, gotG, r.grant, errG),
		sameRecord("shared Grant "+when, gotS, shared, errS),
		sameRecord("Code "+when, gotCode, r.code, errCode),
		sameRecord("AccessToken "+when, gotA, r.access, errA),
		sameRecord("AccessToken of the goroutine's grant "+when, gotOwn, r.own, errOwn),
		sameRecord("AuthRequest "+when, gotR, r.request, errR),
		sameRecord("Consent "+when, gotCon, r.consent, errCon),
		wantErr("UseOnce of a key used "+when, s.UseOnce(ctx, r.once, now().Add(time.Minute)), store.ErrReused))
}
