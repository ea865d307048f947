package storetest

import (
	"context"
	"errors"
	"time"

	"github.com/kunci/kunci/store"
)

// lookupRecords is one record of every kind, saved for the exactness
// checks to look up by keys that are almost theirs.
type lookupRecords struct {
	client  store.Client
	grant   store.Grant
	code    store.AuthCode
	access  store.AccessToken
	request store.AuthRequest
	consent store.Consent
}

func saveLookupRecords(ctx context.Context, s store.Store) (lookupRecords, error) {
	r := lookupRecords{client: newClient(), request: newAuthRequest(time.Hour), consent: newConsent(time.Hour)}
	var err error
	if r.grant, err = saveGrant(ctx, s, true); err != nil {
		return r, err
	}
	r.code, r.access = newCode(r.grant.ID, time.Minute), newAccess(r.grant.ID, 30*time.Minute)
	err = errors.Join(
		s.SaveClient(ctx, r.client), s.SaveCode(ctx, r.code), s.SaveAccessToken(ctx, r.access),
		s.SaveAuthRequest(ctx, r.request), s.SaveConsent(ctx, r.consent))
	return r, noErr("saving one record of every kind", err)
}

// lookupAll looks up every kind of record by the keys key makes from the
// real ones, and requires each lookup to find nothing. A rotation with a
// near-miss refresh hash is a reuse, not a rotation.
func lookupAll(ctx context.Context, s store.Store, r lookupRecords, how string, key func(string) string) error {
	var errs []error
	notFound := func(what string, err error) {
		errs = append(errs, wantErr(what+" by "+how, err, store.ErrNotFound))
	}
	_, err := s.Client(ctx, key(r.client.ID))
	notFound("Client", err)
	_, err = s.Grant(ctx, key(r.grant.ID))
	notFound("Grant", err)
	_, err = s.Code(ctx, r.grant.ID, key(r.code.Hash))
	notFound("Code with the right grant and a near-miss hash", err)
	_, err = s.Code(ctx, key(r.grant.ID), r.code.Hash)
	notFound("Code with a near-miss grant id", err)
	_, err = s.ConsumeCode(ctx, r.grant.ID, key(r.code.Hash))
	notFound("ConsumeCode with the right grant and a near-miss hash", err)
	_, err = s.AccessToken(ctx, key(r.access.Hash))
	notFound("AccessToken", err)
	_, err = s.AuthRequest(ctx, key(r.request.ID))
	notFound("AuthRequest", err)
	_, err = s.ConsumeAuthRequest(ctx, key(r.request.ID))
	notFound("ConsumeAuthRequest", err)
	_, err = s.Consent(ctx, key(r.consent.Subject), r.consent.ClientID)
	notFound("Consent with a near-miss subject", err)
	_, err = s.Consent(ctx, r.consent.Subject, key(r.consent.ClientID))
	notFound("Consent with a near-miss client", err)
	_, err = s.RotateRefreshToken(ctx, key(r.grant.ID), r.grant.RefreshHash, newRefresh(time.Minute))
	notFound("RotateRefreshToken with a near-miss grant id", err)
	got, err := s.RotateRefreshToken(ctx, r.grant.ID, key(r.grant.RefreshHash), newRefresh(time.Minute))
	errs = append(errs, reusedRecord("RotateRefreshToken with a near-miss refresh hash, by "+how, got, r.grant, err))
	k := "k:" + randomHash()
	errs = append(errs, noErr("UseOnce", s.UseOnce(ctx, k, now().Add(time.Minute))))
	if near := key(k); near != "" {
		errs = append(errs, noErr("UseOnce of a used key by "+how, s.UseOnce(ctx, near, now().Add(time.Minute))))
	}
	return errors.Join(errs...)
}

// lookupUnchanged checks that the near-miss lookups consumed and rotated
// nothing.
func lookupUnchanged(ctx context.Context, s store.Store, r lookupRecords) error {
	gotG, errG := s.Grant(ctx, r.grant.ID)
	gotC, errC := s.Code(ctx, r.grant.ID, r.code.Hash)
	gotR, errR := s.AuthRequest(ctx, r.request.ID)
	return errors.Join(
		sameRecord("Grant after near-miss lookups", gotG, r.grant, errG),
		sameRecord("Code after near-miss lookups", gotC, r.code, errC),
		sameRecord("AuthRequest after near-miss lookups", gotR, r.request, errR))
}

func checkLookupCase(ctx context.Context, s store.Store) error {
	r, err := saveLookupRecords(ctx, s)
	if err != nil {
		return err
	}
	return errors.Join(lookupAll(ctx, s, r, "another case", swapCase), lookupUnchanged(ctx, s, r))
}

func checkLookupPrefix(ctx context.Context, s store.Store) error {
	r, err := saveLookupRecords(ctx, s)
	if err != nil {
		return err
	}
	return errors.Join(
		lookupAll(ctx, s, r, "a prefix", func(k string) string { return k[:len(k)-1] }),
		lookupAll(ctx, s, r, "an extension", func(k string) string { return k + "x" }),
		lookupUnchanged(ctx, s, r))
}

func checkLookupEmpty(ctx context.Context, s store.Store) error {
	r, err := saveLookupRecords(ctx, s)
	if err != nil {
		return err
	}
	_, errBoth := s.Consent(ctx, "", "")
	_, errCode := s.Code(ctx, "", "")
	return errors.Join(
		lookupAll(ctx, s, r, "the empty key", func(string) string { return "" }),
		wantErr("Consent of the empty pair", errBoth, store.ErrNotFound),
		wantErr("Code of the empty pair", errCode, store.ErrNotFound),
		lookupUnchanged(ctx, s, r))
}

// checkLookupConsentPairs checks that (subject, client) pairs whose
// concatenations coincide name different consents.
func checkLookupConsentPairs(ctx context.Context, s store.Store) error {
	user := randomID("user")
	var errs []error
	for _, pair := range [][2][2]string{
		{{user + ":app", "one"}, {user, "app:one"}},
		{{user + "app", "one"}, {user, "appone"}},
		{{user + "|app", "one"}, {user, "|appone"}},
	} {
		a, b := newConsent(time.Hour), newConsent(2*time.Hour)
		a.Subject, a.ClientID = pair[0][0], pair[0][1]
		b.Subject, b.ClientID = pair[1][0], pair[1][1]
		b.Scopes = []string{"phone"}
		if err := s.SaveConsent(ctx, a); err != nil {
			errs = append(errs, noErr("SaveConsent", err))
			continue
		}
		_, err := s.Consent(ctx, b.Subject, b.ClientID)
		errs = append(errs, wantErr("Consent of ("+b.Subject+", "+b.ClientID+") when only ("+a.Subject+", "+a.ClientID+") consented", err, store.ErrNotFound))
		if err := s.SaveConsent(ctx, b); err != nil {
			errs = append(errs, noErr("SaveConsent", err))
			continue
		}
		gotA, errA := s.Consent(ctx, a.Subject, a.ClientID)
		gotB, errB := s.Consent(ctx, b.Subject, b.ClientID)
		errs = append(errs,
			sameRecord("Consent of ("+a.Subject+", "+a.ClientID+")", gotA, a, errA),
			sameRecord("Consent of ("+b.Subject+", "+b.ClientID+")", gotB, b, errB),
			noErr("DeleteConsent", s.DeleteConsent(ctx, b.Subject, b.ClientID)))
		gotA, errA = s.Consent(ctx, a.Subject, a.ClientID)
		errs = append(errs, sameRecord("Consent of ("+a.Subject+", "+a.ClientID+") after the other pair's was deleted", gotA, a, errA))
	}
	return errors.Join(errs...)
}

// checkLookupCodePairs checks that (grant ID, hash) pairs whose
// concatenations coincide, with or without a separator, name different
// codes: a code is named by its grant and its hash together.
func checkLookupCodePairs(ctx context.Context, s store.Store) error {
	short := newGrant(time.Hour)
	if err := s.SaveGrant(ctx, short); err != nil {
		return noErr("SaveGrant", err)
	}
	h := randomHash()
	var errs []error
	for _, pair := range [][2][2]string{
		{{short.ID + "a", "bc" + h}, {short.ID, "abc" + h}},
		{{short.ID + ":a", h}, {short.ID, "a:" + h}},
		{{short.ID + "|a", h}, {short.ID, "a|" + h}},
	} {
		long := newGrant(time.Hour)
		long.ID = pair[0][0]
		if err := s.SaveGrant(ctx, long); err != nil {
			errs = append(errs, noErr("SaveGrant", err))
			continue
		}
		a, b := newCode(long.ID, time.Minute), newCode(short.ID, 2*time.Minute)
		a.Hash = pair[0][1]
		b.Hash, b.RedirectURI = pair[1][1], "https://other.example/cb"
		nameA := "Code of (" + a.GrantID + ", " + a.Hash + ")"
		nameB := "Code of (" + b.GrantID + ", " + b.Hash + ")"
		if err := s.SaveCode(ctx, a); err != nil {
			errs = append(errs, noErr("SaveCode", err))
			continue
		}
		got, err := s.Code(ctx, b.GrantID, b.Hash)
		gotC, errC := s.ConsumeCode(ctx, b.GrantID, b.Hash)
		errs = append(errs,
			zeroWith(nameB+" when only ("+a.GrantID+", "+a.Hash+") was saved", got, err, store.ErrNotFound),
			zeroWith("Consume"+nameB+" when only ("+a.GrantID+", "+a.Hash+") was saved", gotC, errC, store.ErrNotFound))
		if err := s.SaveCode(ctx, b); err != nil {
			errs = append(errs, noErr("SaveCode of ("+b.GrantID+", "+b.Hash+") beside ("+a.GrantID+", "+a.Hash+")", err))
			continue
		}
		gotA, errA := s.Code(ctx, a.GrantID, a.Hash)
		gotB, errB := s.ConsumeCode(ctx, b.GrantID, b.Hash)
		errs = append(errs, sameRecord(nameA, gotA, a, errA), sameRecord("Consume"+nameB, gotB, b, errB))
		gotA, errA = s.Code(ctx, a.GrantID, a.Hash)
		errs = append(errs, sameRecord(nameA+" after the other pair's code was consumed", gotA, a, errA))
	}
	return errors.Join(errs...)
}
