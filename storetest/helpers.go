package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/kunci/kunci/store"
)

// Record factories. Every record gets fresh random keys, so that stores
// sharing one database between subtests never see a collision, and its
// fields set, so that a store that drops a field is caught.

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

// newGrant returns a grant that lives for life and has no refresh token.
func newGrant(life time.Duration) store.Grant {
	t := now()
	return store.Grant{
		ID:        randomID("grant"),
		ClientID:  "client-1",
		Subject:   "user-42",
		Scopes:    []string{"openid", "basic_info", "email"},
		Audience:  []string{"https://api.example/"},
		AuthTime:  t.Add(-time.Minute),
		ACR:       "urn:mace:incommon:iap:silver",
		AMR:       []string{"pwd", "otp"},
		SessionID: randomID("sid"),
		Nonce:     "n-0S6_WzA2Mj",
		Claims:    []byte(`{"id_token":{"email":{"essential":true}}}`),
		JKT:       "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
		CreatedAt: t,
		ExpiresAt: t.Add(life),
	}
}

// newRefresh returns a refresh token state issued now that lives for life.
func newRefresh(life time.Duration) store.RefreshState {
	t := now()
	return store.RefreshState{Hash: randomHash(), IssuedAt: t, ExpiresAt: t.Add(life)}
}

// withRefresh returns g holding r as its first refresh token.
func withRefresh(g store.Grant, r store.RefreshState) store.Grant {
	g.RefreshHash, g.RefreshIssuedAt, g.RefreshExpiresAt = r.Hash, r.IssuedAt, r.ExpiresAt
	return g
}

// installed returns what g reads as once RotateRefreshToken(g.ID, oldHash,
// next) has succeeded on it.
func installed(g store.Grant, oldHash string, next store.RefreshState) store.Grant {
	g = deepCopy(g)
	g.RefreshHash, g.RefreshIssuedAt, g.RefreshExpiresAt = next.Hash, next.IssuedAt, next.ExpiresAt
	if oldHash != "" {
		g.PreviousRefreshHash, g.RotatedAt = oldHash, next.IssuedAt
		g.RefreshCount++
	}
	return g
}

func newCode(grantID string, life time.Duration) store.AuthCode {
	t := now()
	return store.AuthCode{
		Hash:                randomHash(),
		GrantID:             grantID,
		ClientID:            "client-1",
		RedirectURI:         "https://app.example/cb",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
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
		JKT:       "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
		IssuedAt:  t,
		ExpiresAt: t.Add(life),
	}
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
		Pushed:              true,
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

// saveGrant saves a fresh grant that lives an hour, with a refresh token
// when refresh is set, and returns it.
func saveGrant(ctx context.Context, s store.Store, refresh bool) (store.Grant, error) {
	g := newGrant(time.Hour)
	if refresh {
		g = withRefresh(g, newRefresh(30*time.Minute))
	}
	return g, noErr("SaveGrant", s.SaveGrant(ctx, g))
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

// sameRecord is diff for a record that a read returned with err: a failed
// read is reported alone, without a field-by-field comparison to a zero
// record.
func sameRecord(what string, got, want any, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return diff(what, got, want)
}

// reusedRecord checks a read that must return want together with
// ErrReused.
func reusedRecord(what string, got, want any, err error) error {
	if e := wantErr(what, err, store.ErrReused); e != nil {
		return e
	}
	return diff(what+" (with ErrReused)", got, want)
}

// zeroWith checks a read that must fail with target and return the zero
// record, as every error but ErrReused does.
func zeroWith[T any](what string, got T, err, target error) error {
	if e := wantErr(what, err, target); e != nil {
		return e
	}
	var zero T
	if !reflect.DeepEqual(got, zero) {
		return fmt.Errorf("%s: returned %+v with %v, want the zero record", what, got, target)
	}
	return nil
}

// Concurrency.

// racers is how many goroutines a concurrency check releases at once, and
// rounds how many times it does so: a narrow window in a store that is not
// atomic is missed by one round now and then, never by eight.
const (
	racers = 32
	rounds = 8
)

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

// inRounds runs round rounds times and joins the failures, each named by
// its round.
func inRounds(round func() error) error {
	var errs []error
	for r := range rounds {
		if err := round(); err != nil {
			errs = append(errs, fmt.Errorf("round %d of %d: %w", r+1, rounds, err))
		}
	}
	return errors.Join(errs...)
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

// swapCase returns s with the case of every ASCII letter swapped: the same
// key to a store that folds case, another one to every other store.
func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}
