package storetest

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/kunci/kunci/store"
)

// Record factories. Every record gets fresh random keys, so that stores
// sharing one database between subtests never see a collision, and every
// field set, so that a store that drops a field is caught.

// randomHash returns a value shaped like the hashes the server stores:
// 32 random bytes in unpadded base64url.
func randomHash() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// randomID returns a short random identifier for grants, clients and users.
func randomID(prefix string) string { return prefix + "-" + rand.Text()[:16] }

// now returns the current time rounded down to the microsecond and stripped
// of its monotonic reading, the precision stores are allowed to keep.
func now() time.Time { return time.Now().Truncate(time.Microsecond) }

func newClient() store.Client {
	return store.Client{
		ID:                randomID("client"),
		SecretHash:        randomHash(),
		Name:              "Example App",
		RedirectURIs:      []string{"https://app.example/cb", "https://app.example/cb2"},
		LoginURIs:         []string{"https://app.example/login"},
		GrantTypes:        []string{"authorization_code", "refresh_token"},
		ResponseTypes:     []string{"code"},
		ApplicationType:   "native",
		Scopes:            []string{"basic_info", "email"},
		AuthMethod:        "client_secret_basic",
		PKCEOptional:      true,
		AccessTokenFormat: "jwt",
		Resources:         []string{"https://api.example/"},
		CreatedAt:         now().Add(-time.Hour),
	}
}

func newCode(grantID string, life time.Duration) store.AuthCode {
	t := now()
	return store.AuthCode{
		Hash:                randomHash(),
		GrantID:             grantID,
		ClientID:            "client-1",
		Subject:             "user-42",
		RedirectURI:         "https://app.example/cb",
		Scopes:              []string{"basic_info", "email"},
		Resources:           []string{"https://api.example/"},
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		AuthTime:            t.Add(-time.Minute),
		IssuedAt:            t,
		ExpiresAt:           t.Add(life),
	}
}

func newAccess(grantID string, life time.Duration) store.AccessToken {
	t := now()
	return store.AccessToken{
		Hash:      randomHash(),
		GrantID:   grantID,
		ClientID:  "client-1",
		Subject:   "user-42",
		Scopes:    []string{"basic_info", "email"},
		Audience:  []string{"https://api.example/"},
		Claims:    []byte(`{"tenant":"acme"}`),
		IssuedAt:  t,
		ExpiresAt: t.Add(life),
	}
}

func newRefresh(grantID string, life time.Duration) store.RefreshToken {
	t := now()
	return store.RefreshToken{
		Hash:         randomHash(),
		GrantID:      grantID,
		ClientID:     "client-1",
		Subject:      "user-42",
		Scopes:       []string{"basic_info", "email"},
		Audience:     []string{"https://api.example/"},
		RefreshCount: 0,
		AuthTime:     t.Add(-time.Minute),
		IssuedAt:     t,
		ExpiresAt:    t.Add(life),
	}
}

// successor returns the token that replaces old in a rotation.
func successor(old store.RefreshToken, life time.Duration) store.RefreshToken {
	next := newRefresh(old.GrantID, life)
	next.RefreshCount = old.RefreshCount + 1
	next.Scopes = []string{"basic_info"}
	next.AuthTime = old.AuthTime
	return next
}

func newAuthRequest(life time.Duration) store.AuthRequest {
	t := now()
	return store.AuthRequest{
		ID:                  randomID("req"),
		ClientID:            "client-1",
		RedirectURI:         "https://app.example/cb",
		ResponseType:        "code",
		State:               "xyz",
		Scopes:              []string{"basic_info", "email"},
		Resources:           []string{"https://api.example/"},
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		LoginURI:            "https://app.example/login",
		CSRFHash:            randomHash(),
		Subject:             "",
		CreatedAt:           t,
		ExpiresAt:           t.Add(life),
	}
}

func newConsent(life time.Duration) store.Consent {
	t := now()
	return store.Consent{
		Subject:   randomID("user"),
		ClientID:  randomID("client"),
		Scopes:    []string{"basic_info", "email"},
		GrantedAt: t,
		ExpiresAt: t.Add(life),
	}
}

// Comparison.

// diff compares two records of the same struct type field by field. Times
// are equal when they name the same instant at microsecond precision; nil
// and empty slices are equal.
func diff(what string, got, want any) error {
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	if gv.Type() != wv.Type() || wv.Kind() != reflect.Struct {
		return fmt.Errorf("%s: cannot compare %T with %T", what, got, want)
	}
	var errs []error
	for i := range wv.NumField() {
		g, w := gv.Field(i), wv.Field(i)
		if !sameValue(g, w) {
			errs = append(errs, fmt.Errorf("%s: %s = %s, want %s",
				what, wv.Type().Field(i).Name, show(g), show(w)))
		}
	}
	return errors.Join(errs...)
}

func sameValue(g, w reflect.Value) bool {
	if wt, ok := w.Interface().(time.Time); ok {
		return sameTime(g.Interface().(time.Time), wt)
	}
	if w.Kind() == reflect.Slice && w.Len() == 0 && g.Len() == 0 {
		return true
	}
	return reflect.DeepEqual(g.Interface(), w.Interface())
}

// sameTime reports whether a and b are the same instant once both are
// rounded to the microsecond.
func sameTime(a, b time.Time) bool {
	return a.Round(time.Microsecond).Equal(b.Round(time.Microsecond))
}

func show(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case []byte:
		return fmt.Sprintf("%q", x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprintf("%v", v.Interface())
}

// wantErr returns nil when err matches target, and otherwise an error naming
// the operation.
func wantErr(op string, err, target error) error {
	if errors.Is(err, target) {
		return nil
	}
	if err == nil {
		return fmt.Errorf("%s: got no error, want %v", op, target)
	}
	return fmt.Errorf("%s: got error %q, want %v", op, err, target)
}

// noErr wraps a failure of an operation the check relies on.
func noErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Concurrency.

// racers is how many goroutines a concurrency check releases at once.
const racers = 32

// race runs fn in racers goroutines released together by closing a channel,
// and returns each call's error in the order of i.
func race(fn func(i int) error) []error {
	start := make(chan struct{})
	type result struct {
		i   int
		err error
	}
	results := make(chan result, racers)
	for i := range racers {
		go func() {
			<-start
			results <- result{i, fn(i)}
		}()
	}
	close(start)
	errs := make([]error, racers)
	for range racers {
		r := <-results
		errs[r.i] = r.err
	}
	return errs
}

// Expiry on read.

// expiresOnRead checks that a record becomes unreadable once its ExpiresAt
// has passed. save saves fresh records that expire at exp and returns a
// function that reads them: read(false) while they should be live (nil when
// found), read(true) after exp, when every read must give ErrNotFound. A live
// read that reports ErrNotFound although it returned before exp fails the
// check.
//
// The wait is for a wall-clock instant a few milliseconds ahead, so the
// outcome does not depend on scheduling: once time.Now is past ExpiresAt the
// record must be gone.
func expiresOnRead(what string, save func(exp time.Time) (read func(after bool) error, err error)) error {
	// A longer life is tried only when the machine was too slow to save the
	// record before it expired.
	for _, life := range []time.Duration{10 * time.Millisecond, 25 * time.Millisecond, 60 * time.Millisecond} {
		exp := now().Add(life)
		read, err := save(exp)
		if err != nil {
			if errors.Is(err, store.ErrExpired) && !time.Now().Before(exp) {
				continue // too slow: the record expired before the save
			}
			return fmt.Errorf("%s: save of a record expiring in %v: %w", what, life, err)
		}
		err = read(false)
		readDone := time.Now()
		if err != nil && !(errors.Is(err, store.ErrNotFound) && !readDone.Before(exp)) {
			return fmt.Errorf("%s: read before ExpiresAt: %w", what, err)
		}
		waitUntil(exp.Add(time.Millisecond))
		if err := read(true); err != nil {
			return fmt.Errorf("%s: read after ExpiresAt passed: %w", what, err)
		}
		return nil
	}
	return fmt.Errorf("%s: every record expired before it could be saved (machine too slow)", what)
}

// waitUntil returns once time.Now is past t.
func waitUntil(t time.Time) {
	for d := time.Until(t); d > 0; d = time.Until(t) {
		time.Sleep(d)
	}
}

// sameRecord is diff for a record that a read returned with err: a failed
// read is reported alone, without a field-by-field comparison to a zero
// record.
func sameRecord(what string, got, want any, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return diff(what, got, want)
}

// joinDistinct is errors.Join for the results of racing calls: errors with
// the same text are reported once, with how many calls gave them.
func joinDistinct(errs []error) error {
	var order []string
	count := make(map[string]int)
	for _, err := range errs {
		if err == nil {
			continue
		}
		msg := err.Error()
		if count[msg] == 0 {
			order = append(order, msg)
		}
		count[msg]++
	}
	out := make([]error, 0, len(order))
	for _, msg := range order {
		if n := count[msg]; n > 1 {
			msg = fmt.Sprintf("%s (%d calls)", msg, n)
		}
		out = append(out, errors.New(msg))
	}
	return errors.Join(out...)
}
