package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

func checkAuthRequestNotFound(ctx context.Context, s store.Store) error {
	id := randomID("req")
	_, err := s.AuthRequest(ctx, id)
	_, errConsume := s.ConsumeAuthRequest(ctx, id)
	return errors.Join(
		wantErr("AuthRequest of an unknown id", err, store.ErrNotFound),
		wantErr("ConsumeAuthRequest of an unknown id", errConsume, store.ErrNotFound))
}

func checkAuthRequestSaveGet(ctx context.Context, s store.Store) error {
	r := newAuthRequest(time.Hour)
	if err := s.SaveAuthRequest(ctx, r); err != nil {
		return noErr("SaveAuthRequest", err)
	}
	var errs []error
	for i := range 2 { // a read does not consume
		got, err := s.AuthRequest(ctx, r.ID)
		if err != nil {
			return errors.Join(append(errs, noErr(fmt.Sprintf("AuthRequest call %d", i+1), err))...)
		}
		errs = append(errs, diff("AuthRequest", got, r))
	}
	return errors.Join(errs...)
}

func checkAuthRequestReplace(ctx context.Context, s store.Store) error {
	r := newAuthRequest(time.Hour)
	if err := s.SaveAuthRequest(ctx, r); err != nil {
		return noErr("SaveAuthRequest", err)
	}
	// The server updates a request as the user signs in.
	r2 := newAuthRequest(2 * time.Hour)
	r2.ID = r.ID
	r2.Subject = "user-42"
	r2.Scopes = []string{"basic_info"}
	if err := s.SaveAuthRequest(ctx, r2); err != nil {
		return noErr("SaveAuthRequest replacing a request", err)
	}
	got, err := s.AuthRequest(ctx, r.ID)
	if err != nil {
		return noErr("AuthRequest", err)
	}
	return diff("replaced AuthRequest", got, r2)
}

func checkAuthRequestEmptyID(ctx context.Context, s store.Store) error {
	r := newAuthRequest(time.Hour)
	r.ID = ""
	return wantErr("SaveAuthRequest without an id", s.SaveAuthRequest(ctx, r), store.ErrInvalid)
}

func checkAuthRequestConsumeOnce(ctx context.Context, s store.Store) error {
	r := newAuthRequest(time.Hour)
	if err := s.SaveAuthRequest(ctx, r); err != nil {
		return noErr("SaveAuthRequest", err)
	}
	got, err := s.ConsumeAuthRequest(ctx, r.ID)
	if err != nil {
		return noErr("ConsumeAuthRequest", err)
	}
	_, errAgain := s.ConsumeAuthRequest(ctx, r.ID)
	_, errGet := s.AuthRequest(ctx, r.ID)
	return errors.Join(
		diff("consumed AuthRequest", got, r),
		wantErr("second ConsumeAuthRequest", errAgain, store.ErrNotFound),
		wantErr("AuthRequest after ConsumeAuthRequest", errGet, store.ErrNotFound))
}

func checkAuthRequestConsumeConcurrent(ctx context.Context, s store.Store) error {
	return inRounds(func() error {
		r := newAuthRequest(time.Hour)
		if err := s.SaveAuthRequest(ctx, r); err != nil {
			return noErr("SaveAuthRequest", err)
		}
		got := make([]store.AuthRequest, racers)
		results := race(func(i int) error {
			var err error
			got[i], err = s.ConsumeAuthRequest(ctx, r.ID)
			return err
		})
		var errs []error
		winners := 0
		for i, err := range results {
			if err == nil {
				winners++
				errs = append(errs, diff("winning ConsumeAuthRequest", got[i], r))
				continue
			}
			errs = append(errs, zeroWith("losing ConsumeAuthRequest", got[i], err, store.ErrNotFound))
		}
		if winners != 1 {
			errs = append(errs, fmt.Errorf("%d concurrent ConsumeAuthRequest calls: %d succeeded, want exactly 1", racers, winners))
		}
		_, err := s.AuthRequest(ctx, r.ID)
		errs = append(errs, wantErr("AuthRequest after the race", err, store.ErrNotFound))
		return joinDistinct(errs)
	})
}

func checkAuthRequestExpired(ctx context.Context, s store.Store) error {
	return expiresOnRead(ctx, s, "AuthRequest", func(exp time.Time) (func(bool) error, error) {
		r := newAuthRequest(0)
		r.ExpiresAt = exp
		if err := s.SaveAuthRequest(ctx, r); err != nil {
			return nil, err
		}
		return func(after bool) error {
			_, err := s.AuthRequest(ctx, r.ID)
			if !after {
				return err
			}
			_, errConsume := s.ConsumeAuthRequest(ctx, r.ID)
			return errors.Join(
				wantErr("AuthRequest of an expired request", err, store.ErrNotFound),
				wantErr("ConsumeAuthRequest of an expired request", errConsume, store.ErrNotFound))
		}, nil
	})
}

func checkConsentNotFound(ctx context.Context, s store.Store) error {
	c := newConsent(time.Hour)
	if err := s.SaveConsent(ctx, c); err != nil {
		return noErr("SaveConsent", err)
	}
	// Neither the same subject with another client nor the reverse matches.
	_, err1 := s.Consent(ctx, c.Subject, randomID("client"))
	_, err2 := s.Consent(ctx, randomID("user"), c.ClientID)
	return errors.Join(
		wantErr("Consent for another client", err1, store.ErrNotFound),
		wantErr("Consent of another subject", err2, store.ErrNotFound))
}

func checkConsentSaveGet(ctx context.Context, s store.Store) error {
	c := newConsent(time.Hour)
	if err := s.SaveConsent(ctx, c); err != nil {
		return noErr("SaveConsent", err)
	}
	got, err := s.Consent(ctx, c.Subject, c.ClientID)
	if err != nil {
		return noErr("Consent", err)
	}
	return diff("Consent", got, c)
}

func checkConsentReplace(ctx context.Context, s store.Store) error {
	c := newConsent(time.Hour)
	other := newConsent(time.Hour)
	other.Subject = c.Subject // same subject, another client: kept apart
	if err := errors.Join(s.SaveConsent(ctx, c), s.SaveConsent(ctx, other)); err != nil {
		return noErr("SaveConsent", err)
	}
	c2 := newConsent(2 * time.Hour)
	c2.Subject, c2.ClientID = c.Subject, c.ClientID
	c2.Scopes = []string{"basic_info", "email", "phone"}
	if err := s.SaveConsent(ctx, c2); err != nil {
		return noErr("SaveConsent replacing a consent", err)
	}
	got, err := s.Consent(ctx, c.Subject, c.ClientID)
	gotOther, errOther := s.Consent(ctx, other.Subject, other.ClientID)
	return errors.Join(
		noErr("Consent", err), diff("replaced Consent", got, c2),
		noErr("Consent for another client", errOther), diff("Consent for another client", gotOther, other))
}

func checkConsentDelete(ctx context.Context, s store.Store) error {
	c := newConsent(time.Hour)
	other := newConsent(time.Hour)
	other.Subject = c.Subject
	if err := errors.Join(s.SaveConsent(ctx, c), s.SaveConsent(ctx, other)); err != nil {
		return noErr("SaveConsent", err)
	}
	if err := s.DeleteConsent(ctx, c.Subject, c.ClientID); err != nil {
		return noErr("DeleteConsent", err)
	}
	_, err := s.Consent(ctx, c.Subject, c.ClientID)
	_, errOther := s.Consent(ctx, other.Subject, other.ClientID)
	return errors.Join(
		wantErr("Consent after DeleteConsent", err, store.ErrNotFound),
		noErr("Consent for another client after DeleteConsent", errOther),
		noErr("DeleteConsent of a deleted consent", s.DeleteConsent(ctx, c.Subject, c.ClientID)))
}

func checkConsentExpired(ctx context.Context, s store.Store) error {
	return expiresOnRead(ctx, s, "Consent", func(exp time.Time) (func(bool) error, error) {
		c := newConsent(0)
		c.ExpiresAt = exp
		if err := s.SaveConsent(ctx, c); err != nil {
			return nil, err
		}
		return func(after bool) error {
			_, err := s.Consent(ctx, c.Subject, c.ClientID)
			if !after {
				return err
			}
			return wantErr("Consent of an expired consent", err, store.ErrNotFound)
		}, nil
	})
}

// checkAuthRequestReplaceExpiry checks that a replaced request takes the
// replacement's expiry, shorter or longer than the one it replaces.
func checkAuthRequestReplaceExpiry(ctx context.Context, s store.Store) error {
	shortened := expiresOnRead(ctx, s, "AuthRequest replaced by one that expires sooner", func(exp time.Time) (func(bool) error, error) {
		r := newAuthRequest(time.Hour)
		if err := s.SaveAuthRequest(ctx, r); err != nil {
			return nil, err
		}
		r.ExpiresAt, r.Subject = exp, "user-42"
		if err := s.SaveAuthRequest(ctx, r); err != nil {
			return nil, err
		}
		return func(after bool) error {
			got, err := s.AuthRequest(ctx, r.ID)
			if !after {
				return sameRecord("replaced AuthRequest", got, r, err)
			}
			return zeroWith("AuthRequest past the replacement's expiry", got, err, store.ErrNotFound)
		}, nil
	})
	extended := expiresOnRead(ctx, s, "AuthRequest replaced by one that expires later", func(exp time.Time) (func(bool) error, error) {
		r := newAuthRequest(0)
		r.ExpiresAt = exp
		if err := s.SaveAuthRequest(ctx, r); err != nil {
			return nil, err
		}
		r.ExpiresAt, r.Subject = now().Add(time.Hour), "user-42"
		if err := s.SaveAuthRequest(ctx, r); err != nil {
			return nil, err
		}
		return func(bool) error {
			got, err := s.AuthRequest(ctx, r.ID)
			return sameRecord("AuthRequest replaced by a longer-lived one", got, r, err)
		}, nil
	})
	return errors.Join(shortened, extended)
}

// checkConsentReplaceExpiry checks that a replaced consent takes the
// replacement's expiry, shorter or longer than the one it replaces.
func checkConsentReplaceExpiry(ctx context.Context, s store.Store) error {
	shortened := expiresOnRead(ctx, s, "Consent replaced by one that expires sooner", func(exp time.Time) (func(bool) error, error) {
		c := newConsent(time.Hour)
		if err := s.SaveConsent(ctx, c); err != nil {
			return nil, err
		}
		c.ExpiresAt, c.Scopes = exp, []string{"basic_info"}
		if err := s.SaveConsent(ctx, c); err != nil {
			return nil, err
		}
		return func(after bool) error {
			got, err := s.Consent(ctx, c.Subject, c.ClientID)
			if !after {
				return sameRecord("replaced Consent", got, c, err)
			}
			return zeroWith("Consent past the replacement's expiry", got, err, store.ErrNotFound)
		}, nil
	})
	extended := expiresOnRead(ctx, s, "Consent replaced by one that expires later", func(exp time.Time) (func(bool) error, error) {
		c := newConsent(0)
		c.ExpiresAt = exp
		if err := s.SaveConsent(ctx, c); err != nil {
			return nil, err
		}
		c.ExpiresAt, c.Scopes = now().Add(time.Hour), []string{"basic_info"}
		if err := s.SaveConsent(ctx, c); err != nil {
			return nil, err
		}
		return func(bool) error {
			got, err := s.Consent(ctx, c.Subject, c.ClientID)
			return sameRecord("Consent replaced by a longer-lived one", got, c, err)
		}, nil
	})
	return errors.Join(shortened, extended)
}
