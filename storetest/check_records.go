package storetest

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/kunci/kunci/store"
)

// deepCopy returns a copy of the record v that shares no slice with it.
func deepCopy[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	for i := range rv.NumField() {
		f := rv.Field(i)
		if f.Kind() == reflect.Slice && !f.IsNil() {
			c := reflect.MakeSlice(f.Type(), f.Len(), f.Len())
			reflect.Copy(c, f)
			f.Set(c)
		}
	}
	return v
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
// record it is given and hands out copies: changing the slices of a saved
// record, or of a returned one, changes nothing stored.
func checkRecordsCopyIsolated(ctx context.Context, s store.Store) error {
	return errors.Join(
		copyIsolatedClient(ctx, s),
		copyIsolatedCode(ctx, s),
		copyIsolatedAccess(ctx, s),
		copyIsolatedRefresh(ctx, s),
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

func copyIsolatedCode(ctx context.Context, s store.Store) error {
	c := newCode(randomID("grant"), time.Minute)
	want := deepCopy(c)
	if err := s.SaveCode(ctx, c); err != nil {
		return noErr("SaveCode", err)
	}
	scribble(&c)
	got, err := s.ConsumeCode(ctx, want.Hash)
	if err != nil {
		return noErr("ConsumeCode", err)
	}
	errSaved := diff("AuthCode after the saved record was changed", got, want)
	scribble(&got)
	again, err := s.ConsumeCode(ctx, want.Hash)
	return errors.Join(errSaved,
		wantErr("second ConsumeCode", err, store.ErrReused),
		diff("AuthCode (with ErrReused) after a returned record was changed", again, want))
}

func copyIsolatedAccess(ctx context.Context, s store.Store) error {
	t := newAccess(randomID("grant"), time.Hour)
	want := deepCopy(t)
	if err := s.SaveAccessToken(ctx, t); err != nil {
		return noErr("SaveAccessToken", err)
	}
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

func copyIsolatedRefresh(ctx context.Context, s store.Store) error {
	t := newRefresh(randomID("grant"), time.Hour)
	want := deepCopy(t)
	if err := s.SaveRefreshToken(ctx, t); err != nil {
		return noErr("SaveRefreshToken", err)
	}
	scribble(&t)
	got, err := s.RefreshToken(ctx, want.Hash)
	if err != nil {
		return noErr("RefreshToken", err)
	}
	var errs []error
	errs = append(errs, diff("RefreshToken after the saved record was changed", got, want))
	scribble(&got)

	next := successor(want, time.Hour)
	wantNext := deepCopy(next)
	old, err := s.RotateRefreshToken(ctx, want.Hash, next)
	if err != nil {
		return errors.Join(append(errs, noErr("RotateRefreshToken", err))...)
	}
	errs = append(errs, diff("RotateRefreshToken result after a returned record was changed", old, want))
	scribble(&next)
	scribble(&old)
	gotNext, err := s.RefreshToken(ctx, wantNext.Hash)
	errs = append(errs, sameRecord("successor RefreshToken after the saved record was changed", gotNext, wantNext, err))
	retired, err := s.RefreshToken(ctx, want.Hash)
	errs = append(errs, sameRecord("rotated RefreshToken after a returned record was changed", retired, retiredAs(want, wantNext.Hash, retired.RotatedAt), err))
	return errors.Join(errs...)
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

	code := newCode(randomID("grant"), 0)
	code.AuthTime, code.IssuedAt, code.ExpiresAt = time.Time{}, time.Time{}, far
	errs = append(errs, noErr("SaveCode", s.SaveCode(ctx, code)))
	gotCode, err := s.ConsumeCode(ctx, code.Hash)
	errs = append(errs, sameRecord("AuthCode with zero times", gotCode, code, err))

	for _, grantID := range []string{randomID("grant"), ""} {
		a := newAccess(grantID, 0)
		a.IssuedAt, a.ExpiresAt = time.Time{}, far
		errs = append(errs, noErr("SaveAccessToken", s.SaveAccessToken(ctx, a)))
		gotA, err := s.AccessToken(ctx, a.Hash)
		errs = append(errs, sameRecord("AccessToken with zero IssuedAt", gotA, a, err))
	}

	r := newRefresh(randomID("grant"), 0)
	r.AuthTime, r.IssuedAt, r.ExpiresAt = time.Time{}, time.Time{}, far
	errs = append(errs, noErr("SaveRefreshToken", s.SaveRefreshToken(ctx, r)))
	gotR, err := s.RefreshToken(ctx, r.Hash)
	errs = append(errs, sameRecord("RefreshToken with zero times", gotR, r, err))

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
	return errors.Join(errs...)
}
