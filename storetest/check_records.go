package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/kunci/kunci/store"
)

// checkRecordsRoundTrip saves one record of every kind with every exported
// field set (see filled) and reads it back through every method that
// returns it. A store that forgets a field, new or old, fails.
func checkRecordsRoundTrip(ctx context.Context, s store.Store) error {
	base := now().Add(-time.Hour)
	c, err1 := filled[store.Client](base)
	g, err2 := filled[store.Grant](base)
	next, err3 := filled[store.RefreshState](base)
	code, err4 := filled[store.AuthCode](base)
	access, err5 := filled[store.AccessToken](base)
	req, err6 := filled[store.AuthRequest](base)
	consent, err7 := filled[store.Consent](base)
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
		return err
	}
	t := now()
	g.ExpiresAt, g.RefreshExpiresAt = t.Add(2*time.Hour), t.Add(time.Hour)
	next.ExpiresAt = t.Add(90 * time.Minute)
	code.GrantID, code.ExpiresAt = g.ID, t.Add(time.Minute)
	access.GrantID, access.ExpiresAt = g.ID, t.Add(30*time.Minute)
	req.ExpiresAt, consent.ExpiresAt = t.Add(time.Hour), t.Add(time.Hour)

	var errs []error
	if err := s.SaveClient(ctx, c); err != nil {
		errs = append(errs, noErr("SaveClient", err))
	} else {
		got, err := s.Client(ctx, c.ID)
		errs = append(errs, sameRecord("Client", got, c, err))
	}

	if err := s.SaveGrant(ctx, g); err != nil {
		return errors.Join(append(errs, noErr("SaveGrant", err))...)
	}
	got, err := s.Grant(ctx, g.ID)
	errs = append(errs, sameRecord("Grant", got, g, err))
	old, err := s.RotateRefreshToken(ctx, g.ID, g.RefreshHash, next)
	errs = append(errs, sameRecord("RotateRefreshToken result (the grant before)", old, g, err))
	rotated := installed(g, g.RefreshHash, next)
	got, err = s.Grant(ctx, g.ID)
	errs = append(errs, sameRecord("Grant after a rotation", got, rotated, err))
	if err == nil {
		errs = append(errs, refreshStateInGrant(got, next))
	}
	again, err := s.RotateRefreshToken(ctx, g.ID, g.RefreshHash, next)
	errs = append(errs, reusedRecord("RotateRefreshToken of the retired token", again, rotated, err))

	if err := s.SaveCode(ctx, code); err != nil {
		errs = append(errs, noErr("SaveCode", err))
	} else {
		got, err := s.Code(ctx, g.ID, code.Hash)
		errs = append(errs, sameRecord("Code", got, code, err))
		got, err = s.ConsumeCode(ctx, g.ID, code.Hash)
		errs = append(errs, sameRecord("ConsumeCode", got, code, err))
		got, err = s.Code(ctx, g.ID, code.Hash)
		errs = append(errs, reusedRecord("Code of the consumed code", got, code, err))
		got, err = s.ConsumeCode(ctx, g.ID, code.Hash)
		errs = append(errs, reusedRecord("ConsumeCode of the consumed code", got, code, err))
	}

	if err := s.SaveAccessToken(ctx, access); err != nil {
		errs = append(errs, noErr("SaveAccessToken", err))
	} else {
		got, err := s.AccessToken(ctx, access.Hash)
		errs = append(errs, sameRecord("AccessToken", got, access, err))
	}

	if err := s.SaveAuthRequest(ctx, req); err != nil {
		errs = append(errs, noErr("SaveAuthRequest", err))
	} else {
		got, err := s.AuthRequest(ctx, req.ID)
		errs = append(errs, sameRecord("AuthRequest", got, req, err))
		got, err = s.ConsumeAuthRequest(ctx, req.ID)
		errs = append(errs, sameRecord("ConsumeAuthRequest", got, req, err))
	}

	if err := s.SaveConsent(ctx, consent); err != nil {
		errs = append(errs, noErr("SaveConsent", err))
	} else {
		got, err := s.Consent(ctx, consent.Subject, consent.ClientID)
		errs = append(errs, sameRecord("Consent", got, consent, err))
	}
	return errors.Join(errs...)
}

// refreshStateInGrant checks that every field F of next is the grant's
// field RefreshF, by reflection, so that a field added to RefreshState
// must be kept in the grant too.
func refreshStateInGrant(g store.Grant, next store.RefreshState) error {
	gv, nv := reflect.ValueOf(g), reflect.ValueOf(next)
	var errs []error
	for i := range nv.NumField() {
		name := nv.Type().Field(i).Name
		f := gv.FieldByName("Refresh" + name)
		switch {
		case !f.IsValid():
			errs = append(errs, fmt.Errorf("storetest: Grant has no field Refresh%s to keep RefreshState.%s", name, name))
		case !sameValue(f, nv.Field(i)):
			errs = append(errs, fmt.Errorf("after a rotation the grant's Refresh%s = %s, want the successor's %s", name, show(f), show(nv.Field(i))))
		}
	}
	return errors.Join(errs...)
}

// scribble overwrites, in place, every element of every slice in the record
// *p: what a careless caller does to a record it was given or has saved.
func scribble[T any](p *T) {
	rv := reflect.ValueOf(p).Elem()
	for i := range rv.NumField() {
		f := rv.Field(i)
		if f.Kind() != reflect.Slice {
			continue
		}
		for j := range f.Len() {
			switch e := f.Index(j); e.Kind() {
			case reflect.String:
				e.SetString("scribbled")
			case reflect.Uint8:
				e.SetUint('#')
			}
		}
	}
}

// checkRecordsCopyIsolated checks that a store keeps its own copy of every
// record it is given and hands out copies, records returned together with
// ErrReused included: changing the slices of a saved record, or of a
// returned one, changes nothing stored.
func checkRecordsCopyIsolated(ctx context.Context, s store.Store) error {
	return errors.Join(
		copyIsolatedClient(ctx, s),
		copyIsolatedGrant(ctx, s),
		copyIsolatedCode(ctx, s),
		copyIsolatedAccess(ctx, s),
		copyIsolatedAuthRequest(ctx, s),
		copyIsolatedConsent(ctx, s))
}

func copyIsolatedClient(ctx context.Context, s store.Store) error {
	c := newClient()
	want := deepCopy(c)
	if err := s.SaveClient(ctx, c); err != nil {
		return noErr("SaveClient", err)
	}
	scribble(&c)
	got, err := s.Client(ctx, want.ID)
	if err != nil {
		return noErr("Client", err)
	}
	errSaved := diff("Client after the saved record was changed", got, want)
	scribble(&got)
	again, err := s.Client(ctx, want.ID)
	return errors.Join(errSaved, sameRecord("Client after a returned record was changed", again, want, err))
}

func copyIsolatedGrant(ctx context.Context, s store.Store) error {
	g := withRefresh(newGrant(time.Hour), newRefresh(time.Minute))
	want := deepCopy(g)
	if err := s.SaveGrant(ctx, g); err != nil {
		return noErr("SaveGrant", err)
	}
	scribble(&g)
	got, err := s.Grant(ctx, want.ID)
	if err != nil {
		return noErr("Grant", err)
	}
	errs := []error{diff("Grant after the saved record was changed", got, want)}
	scribble(&got)
	next := newRefresh(time.Minute)
	old, err := s.RotateRefreshToken(ctx, want.ID, want.RefreshHash, next)
	if err != nil {
		return errors.Join(append(errs, noErr("RotateRefreshToken", err))...)
	}
	errs = append(errs, diff("RotateRefreshToken result after a returned Grant was changed", old, want))
	scribble(&old)
	rotated := installed(want, want.RefreshHash, next)
	reused, err := s.RotateRefreshToken(ctx, want.ID, want.RefreshHash, newRefresh(time.Minute))
	errs = append(errs, reusedRecord("RotateRefreshToken of the retired token after a rotation result was changed", reused, rotated, err))
	scribble(&reused)
	final, err := s.Grant(ctx, want.ID)
	errs = append(errs, sameRecord("Grant after a Grant returned with ErrReused was changed", final, rotated, err))
	return errors.Join(errs...)
}

func copyIsolatedCode(ctx context.Context, s store.Store) error {
	g, c, err := saveCode(ctx, s)
	if err != nil {
		return err
	}
	want := deepCopy(c)
	scribble(&c)
	got, err := s.Code(ctx, g.ID, want.Hash)
	if err != nil {
		return noErr("Code", err)
	}
	errs := []error{diff("AuthCode after the saved record was changed", got, want)}
	scribble(&got)
	got, err = s.ConsumeCode(ctx, g.ID, want.Hash)
	errs = append(errs, sameRecord("ConsumeCode after a returned AuthCode was changed", got, want, err))
	scribble(&got)
	reused, err := s.Code(ctx, g.ID, want.Hash)
	errs = append(errs, reusedRecord("Code after a consumed AuthCode was changed", reused, want, err))
	scribble(&reused)
	reused, err = s.ConsumeCode(ctx, g.ID, want.Hash)
	errs = append(errs, reusedRecord("ConsumeCode after an AuthCode returned with ErrReused was changed", reused, want, err))
	return errors.Join(errs...)
}

func copyIsolatedAccess(ctx context.Context, s store.Store) error {
	_, t, err := saveAccess(ctx, s)
	if err != nil {
		return err
	}
	want := deepCopy(t)
	scribble(&t)
	got, err := s.AccessToken(ctx, want.Hash)
	if err != nil {
		return noErr("AccessToken", err)
	}
	errSaved := diff("AccessToken after the saved record was changed", got, want)
	scribble(&got)
	again, err := s.AccessToken(ctx, want.Hash)
	return errors.Join(errSaved, sameRecord("AccessToken after a returned record was changed", again, want, err))
}

func copyIsolatedAuthRequest(ctx context.Context, s store.Store) error {
	r := newAuthRequest(time.Hour)
	want := deepCopy(r)
	if err := s.SaveAuthRequest(ctx, r); err != nil {
		return noErr("SaveAuthRequest", err)
	}
	scribble(&r)
	got, err := s.AuthRequest(ctx, want.ID)
	if err != nil {
		return noErr("AuthRequest", err)
	}
	errSaved := diff("AuthRequest after the saved record was changed", got, want)
	scribble(&got)
	again, err := s.ConsumeAuthRequest(ctx, want.ID)
	return errors.Join(errSaved, sameRecord("AuthRequest after a returned record was changed", again, want, err))
}

func copyIsolatedConsent(ctx context.Context, s store.Store) error {
	c := newConsent(time.Hour)
	want := deepCopy(c)
	if err := s.SaveConsent(ctx, c); err != nil {
		return noErr("SaveConsent", err)
	}
	scribble(&c)
	got, err := s.Consent(ctx, want.Subject, want.ClientID)
	if err != nil {
		return noErr("Consent", err)
	}
	errSaved := diff("Consent after the saved record was changed", got, want)
	scribble(&got)
	again, err := s.Consent(ctx, want.Subject, want.ClientID)
	return errors.Join(errSaved, sameRecord("Consent after a returned record was changed", again, want, err))
}

// checkRecordsTimes checks that optional times left zero come back zero,
// and that an expiry far in the future (past what int64 nanoseconds since
// 1970 can hold, the year 2262) is kept.
func checkRecordsTimes(ctx context.Context, s store.Store) error {
	far := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)
	var errs []error

	c := newClient()
	c.CreatedAt = time.Time{}
	errs = append(errs, noErr("SaveClient", s.SaveClient(ctx, c)))
	gotC, err := s.Client(ctx, c.ID)
	errs = append(errs, sameRecord("Client with zero CreatedAt", gotC, c, err))

	g := newGrant(0)
	g.AuthTime, g.CreatedAt, g.ExpiresAt = time.Time{}, time.Time{}, far
	if err := s.SaveGrant(ctx, g); err != nil {
		return errors.Join(append(errs, noErr("SaveGrant", err))...)
	}
	gotG, err := s.Grant(ctx, g.ID)
	errs = append(errs, sameRecord("Grant with zero times and no refresh token", gotG, g, err))

	code := newCode(g.ID, 0)
	code.IssuedAt, code.ExpiresAt = time.Time{}, far
	errs = append(errs, noErr("SaveCode", s.SaveCode(ctx, code)))
	gotCode, err := s.Code(ctx, g.ID, code.Hash)
	errs = append(errs, sameRecord("AuthCode with zero IssuedAt", gotCode, code, err))

	for _, grantID := range []string{g.ID, ""} {
		a := newAccess(grantID, 0)
		a.IssuedAt, a.ExpiresAt = time.Time{}, far
		errs = append(errs, noErr("SaveAccessToken", s.SaveAccessToken(ctx, a)))
		gotA, err := s.AccessToken(ctx, a.Hash)
		errs = append(errs, sameRecord("AccessToken with zero IssuedAt", gotA, a, err))
	}

	next := store.RefreshState{Hash: randomHash(), IssuedAt: now(), ExpiresAt: far}
	_, err = s.RotateRefreshToken(ctx, g.ID, "", next)
	errs = append(errs, noErr("RotateRefreshToken to a token that expires with its far grant", err))
	gotG, err = s.Grant(ctx, g.ID)
	errs = append(errs, sameRecord("Grant with a far refresh token", gotG, installed(g, "", next), err))

	req := newAuthRequest(0)
	req.CreatedAt, req.ExpiresAt = time.Time{}, far
	errs = append(errs, noErr("SaveAuthRequest", s.SaveAuthRequest(ctx, req)))
	gotReq, err := s.AuthRequest(ctx, req.ID)
	errs = append(errs, sameRecord("AuthRequest with zero CreatedAt", gotReq, req, err))

	con := newConsent(0)
	con.GrantedAt, con.ExpiresAt = time.Time{}, far
	errs = append(errs, noErr("SaveConsent", s.SaveConsent(ctx, con)))
	gotCon, err := s.Consent(ctx, con.Subject, con.ClientID)
	errs = append(errs, sameRecord("Consent with zero GrantedAt", gotCon, con, err))

	errs = append(errs, noErr("UseOnce until a far expiry", s.UseOnce(ctx, "far:"+randomHash(), far)))
	return errors.Join(errs...)
}
