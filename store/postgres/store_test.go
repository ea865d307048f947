package postgres

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
)

// clock is a settable clock for a Store under test, so that expiry is tested
// by moving time instead of waiting.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time            { return time.Unix(0, c.ns.Load()) }
func (c *clock) set(t time.Time)           { c.ns.Store(t.UnixNano()) }
func (c *clock) advance(d time.Duration)   { c.ns.Add(int64(d)) }
func newClock(t time.Time) *clock          { c := &clock{}; c.set(t); return c }
func (s *Store) withClock(c *clock) *Store { s.now = c.now; return s }

// epoch is the fixed time tests start their clocks at.
var epoch = time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)

// testGrant returns a grant that lives a day from epoch, with the refresh
// token hash refresh ("" for none) that lives an hour.
func testGrant(id, refresh string) store.Grant {
	g := store.Grant{
		ID: id, ClientID: "client", Subject: "alice", Scopes: []string{"openid", "profile"},
		Audience: []string{"https://api.example"}, AuthTime: epoch.Add(-time.Minute),
		ACR: "1", AMR: []string{"pwd"}, SessionID: "sid", Nonce: "n", Claims: []byte(`{"userinfo":{}}`),
		CreatedAt: epoch, ExpiresAt: epoch.Add(24 * time.Hour),
	}
	if refresh != "" {
		g.RefreshHash, g.RefreshIssuedAt, g.RefreshExpiresAt = refresh, epoch, epoch.Add(time.Hour)
	}
	return g
}

func testCode(hash, grant string) store.AuthCode {
	return store.AuthCode{
		Hash: hash, GrantID: grant, ClientID: "client", RedirectURI: "https://app.example/cb",
		CodeChallenge: "challenge", CodeChallengeMethod: "S256",
		IssuedAt: epoch, ExpiresAt: epoch.Add(10 * time.Minute),
	}
}

func testAccess(hash, grant string) store.AccessToken {
	return store.AccessToken{
		Hash: hash, GrantID: grant, ClientID: "client", Subject: "alice",
		Scopes: []string{"basic_info"}, Audience: []string{"https://api.example"},
		Claims: []byte(`{"tenant": "a"}`), IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour),
	}
}

// refresh returns a refresh token state issued at the clock's time that
// lives an hour.
func refresh(hash string, c *clock) store.RefreshState {
	return store.RefreshState{Hash: hash, IssuedAt: c.now(), ExpiresAt: c.now().Add(time.Hour)}
}

func TestCodeLifecycle(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	require.NoError(t, s.SaveGrant(ctx, testGrant("g", "")))
	code := testCode("code-1", "g")
	require.NoError(t, s.SaveCode(ctx, code))
	assert.ErrorIs(t, s.SaveCode(ctx, code), store.ErrAlreadyExists)

	got, err := s.Code(ctx, "g", "code-1")
	require.NoError(t, err)
	assertSame(t, code, got)
	got, err = s.ConsumeCode(ctx, "g", "code-1")
	require.NoError(t, err)
	assertSame(t, code, got)
	got, err = s.ConsumeCode(ctx, "g", "code-1")
	require.ErrorIs(t, err, store.ErrReused)
	assertSame(t, code, got)
	_, err = s.Code(ctx, "g", "code-1")
	assert.ErrorIs(t, err, store.ErrReused)

	// A consumed code stays recognisable until its expiry, then is gone;
	// its key is free again.
	c.set(code.ExpiresAt.Add(-time.Microsecond))
	_, err = s.Code(ctx, "g", "code-1")
	assert.ErrorIs(t, err, store.ErrReused)
	c.set(code.ExpiresAt)
	_, err = s.ConsumeCode(ctx, "g", "code-1")
	assert.ErrorIs(t, err, store.ErrNotFound)
	code.ExpiresAt = c.now().Add(time.Minute)
	require.NoError(t, s.SaveCode(ctx, code), "an expired code's key is free")
	_, err = s.ConsumeCode(ctx, "g", "code-1")
	assert.NoError(t, err, "and the new code is unconsumed")
}

func TestSaveRefusesExpiredRecords(t *testing.T) {
	s := newTestStore(t).withClock(newClock(epoch))
	ctx := t.Context()
	require.NoError(t, s.SaveGrant(ctx, testGrant("g", "")))
	for _, exp := range []time.Time{{}, epoch.Add(-time.Second), epoch, epoch.Add(time.Nanosecond)} {
		t.Run(fmt.Sprint(exp), func(t *testing.T) {
			g := testGrant("g2", "")
			g.ExpiresAt = exp
			assert.ErrorIs(t, s.SaveGrant(ctx, g), store.ErrExpired)
			code := testCode("c", "g")
			code.ExpiresAt = exp
			assert.ErrorIs(t, s.SaveCode(ctx, code), store.ErrExpired)
			for _, grant := range []string{"g", ""} {
				at := testAccess("a", grant)
				at.ExpiresAt = exp
				assert.ErrorIs(t, s.SaveAccessToken(ctx, at), store.ErrExpired)
			}
			_, err := s.RotateRefreshToken(ctx, "g", "", store.RefreshState{Hash: "r", IssuedAt: epoch, ExpiresAt: exp})
			assert.ErrorIs(t, err, store.ErrExpired)
			assert.ErrorIs(t, s.SaveAuthRequest(ctx, store.AuthRequest{ID: "r", ExpiresAt: exp}), store.ErrExpired)
			assert.ErrorIs(t, s.SaveConsent(ctx, store.Consent{Subject: "a", ClientID: "c", ExpiresAt: exp}), store.ErrExpired)
			assert.ErrorIs(t, s.UseOnce(ctx, "k", exp), store.ErrExpired)
		})
	}
	counts := rowCounts(t, s)
	assert.Equal(t, 1, counts["kunci_grants"], "only the live grant")
	delete(counts, "kunci_grants")
	for table, n := range counts {
		assert.Zero(t, n, "no expired record reached %s", table)
	}
	g, err := s.Grant(ctx, "g")
	require.NoError(t, err)
	assert.Empty(t, g.RefreshHash, "no expired refresh token was installed")
}

// TestRotation follows one grant through its first refresh token and two
// rotations on a settable clock, to the expiry of the current token and
// then of the grant.
func TestRotation(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	g := testGrant("g", "")
	require.NoError(t, s.SaveGrant(ctx, g))

	r1 := refresh("r1", c)
	old, err := s.RotateRefreshToken(ctx, "g", "", r1)
	require.NoError(t, err)
	assertSame(t, g, old)

	c.advance(time.Minute)
	r2 := refresh("r2", c)
	old, err = s.RotateRefreshToken(ctx, "g", "r1", r2)
	require.NoError(t, err)
	assert.Equal(t, "r1", old.RefreshHash)
	assert.Zero(t, old.RefreshCount)

	c.advance(time.Minute)
	r3 := refresh("r3", c)
	_, err = s.RotateRefreshToken(ctx, "g", "r2", r3)
	require.NoError(t, err)
	got, err := s.Grant(ctx, "g")
	require.NoError(t, err)
	assert.Equal(t, "r3", got.RefreshHash)
	assert.Equal(t, "r2", got.PreviousRefreshHash)
	assert.True(t, got.RotatedAt.Equal(r3.IssuedAt), "RotatedAt is the successor's IssuedAt: %v", got.RotatedAt)
	assert.Equal(t, 2, got.RefreshCount)
	assert.True(t, got.RefreshExpiresAt.Equal(r3.ExpiresAt))

	// Every retired token is a reuse, even past its own expiry.
	c.set(r1.ExpiresAt.Add(time.Second))
	for _, h := range []string{"r1", "r2", ""} {
		reused, err := s.RotateRefreshToken(ctx, "g", h, refresh("x", c))
		require.ErrorIs(t, err, store.ErrReused, h)
		assertSame(t, got, reused)
	}
	// The current token rotates until its expiry, not after.
	c.set(r3.ExpiresAt)
	_, err = s.RotateRefreshToken(ctx, "g", "r3", refresh("r4", c))
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.Grant(ctx, "g")
	require.NoError(t, err, "the grant outlives its refresh token")
	// Nothing works once the grant has expired.
	c.set(g.ExpiresAt)
	_, err = s.RotateRefreshToken(ctx, "g", "r1", refresh("r4", c))
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.Grant(ctx, "g")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestRotateRefusals(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	g := testGrant("g", "r1")
	require.NoError(t, s.SaveGrant(ctx, g))
	for _, tc := range []struct {
		name    string
		grant   string
		oldHash string
		next    store.RefreshState
		want    error
	}{
		{"unknown grant", "nope", "r1", refresh("r2", c), store.ErrNotFound},
		{"unknown grant and invalid successor", "nope", "r1", store.RefreshState{}, store.ErrNotFound},
		{"retired token and invalid successor", "g", "r0", store.RefreshState{}, store.ErrReused},
		{"successor without hash", "g", "r1", store.RefreshState{IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour)}, store.ErrInvalid},
		{"successor with the current hash", "g", "r1", refresh("r1", c), store.ErrInvalid},
		{"successor without issue time", "g", "r1", store.RefreshState{Hash: "r2", ExpiresAt: epoch.Add(time.Hour)}, store.ErrInvalid},
		{"successor outliving the grant", "g", "r1", store.RefreshState{Hash: "r2", IssuedAt: epoch, ExpiresAt: g.ExpiresAt.Add(time.Microsecond)}, store.ErrInvalid},
		{"expired successor", "g", "r1", store.RefreshState{Hash: "r2", IssuedAt: epoch, ExpiresAt: epoch}, store.ErrExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.RotateRefreshToken(ctx, tc.grant, tc.oldHash, tc.next)
			assert.ErrorIs(t, err, tc.want)
			if tc.want == store.ErrReused {
				assertSame(t, g, got)
			} else {
				assert.Zero(t, got)
			}
		})
	}
	got, err := s.Grant(ctx, "g")
	require.NoError(t, err)
	assertSame(t, g, got, "no refused rotation changed the grant")
}

func TestRevokeGrant(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	require.NoError(t, s.SaveGrant(ctx, testGrant("g", "r1")))
	require.NoError(t, s.SaveGrant(ctx, testGrant("other", "o1")))
	require.NoError(t, s.SaveCode(ctx, testCode("code", "g")))
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("at", "g")))
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("other-at", "other")))
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("no-grant", "")))

	require.NoError(t, s.RevokeGrant(ctx, "g"))
	require.NoError(t, s.RevokeGrant(ctx, "g"), "revoking twice is fine")
	require.NoError(t, s.RevokeGrant(ctx, "never-seen"))
	require.NoError(t, s.RevokeGrant(ctx, ""))

	_, err := s.Grant(ctx, "g")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.RotateRefreshToken(ctx, "g", "r1", refresh("r2", c))
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, s.SaveCode(ctx, testCode("late", "g")), store.ErrNotFound)
	assert.ErrorIs(t, s.SaveAccessToken(ctx, testAccess("late-at", "g")), store.ErrNotFound)
	assert.ErrorIs(t, s.SaveGrant(ctx, testGrant("g", "")), store.ErrAlreadyExists, "the tombstone keeps the id")
	assert.Equal(t, map[string]int{
		"kunci_grants": 2, "kunci_codes": 0, "kunci_access_tokens": 2,
		"kunci_auth_requests": 0, "kunci_consents": 0, "kunci_use_once": 0,
	}, rowCounts(t, s), "the revoked grant's codes and tokens are deleted, its row stays")

	// Other grants and grantless tokens are untouched.
	_, err = s.AccessToken(ctx, "other-at")
	assert.NoError(t, err)
	_, err = s.AccessToken(ctx, "no-grant")
	assert.NoError(t, err)

	// At the grant's expiry the id is free again.
	c.set(epoch.Add(24 * time.Hour))
	fresh := testGrant("g", "")
	fresh.ExpiresAt = c.now().Add(time.Hour)
	require.NoError(t, s.SaveGrant(ctx, fresh))
	got, err := s.Grant(ctx, "g")
	require.NoError(t, err)
	assertSame(t, fresh, got)
}

func TestUseOnce(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	exp := epoch.Add(time.Minute)
	require.NoError(t, s.UseOnce(ctx, "dpop:1", exp))
	assert.ErrorIs(t, s.UseOnce(ctx, "dpop:1", exp.Add(time.Hour)), store.ErrReused)
	assert.ErrorIs(t, s.UseOnce(ctx, "", exp), store.ErrInvalid)
	c.set(exp.Add(-time.Microsecond))
	assert.ErrorIs(t, s.UseOnce(ctx, "dpop:1", exp.Add(time.Hour)), store.ErrReused)
	c.set(exp)
	require.NoError(t, s.UseOnce(ctx, "dpop:1", exp.Add(time.Hour)), "free once its expiry has passed")
	assert.ErrorIs(t, s.UseOnce(ctx, "dpop:1", exp.Add(time.Hour)), store.ErrReused)
}

func TestAccessTokenRoundTrip(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	require.NoError(t, s.SaveGrant(ctx, testGrant("grant-1", "")))
	full := testAccess("full", "grant-1")
	full.JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	bare := store.AccessToken{Hash: "bare", ClientID: "svc", ExpiresAt: epoch.Add(time.Minute)}
	empty := store.AccessToken{Hash: "empty", ClientID: "svc", Scopes: []string{}, Claims: []byte{}, ExpiresAt: epoch.Add(time.Minute)}
	for _, want := range []store.AccessToken{full, bare, empty} {
		require.NoError(t, s.SaveAccessToken(ctx, want))
		got, err := s.AccessToken(ctx, want.Hash)
		require.NoError(t, err)
		assert.Equal(t, want.Scopes, got.Scopes, "nil and empty lists are kept apart")
		assert.Equal(t, want.Claims, got.Claims, "claims are kept byte for byte")
		assertSame(t, want, got)
	}
	assert.ErrorIs(t, s.SaveAccessToken(ctx, full), store.ErrAlreadyExists)
	c.set(full.ExpiresAt)
	_, err := s.AccessToken(ctx, "full")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestInteraction(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	req := store.AuthRequest{
		ID: "req", ClientID: "client", RedirectURI: "https://app.example/cb", ResponseType: "code",
		State: "xyz", Scopes: []string{"basic_info"}, CodeChallenge: "ch", CodeChallengeMethod: "S256",
		LoginURI: "https://app.example/login", CSRFHash: "csrf", Pushed: true,
		CreatedAt: epoch, ExpiresAt: epoch.Add(10 * time.Minute),
	}
	assert.ErrorIs(t, s.SaveAuthRequest(ctx, store.AuthRequest{ExpiresAt: req.ExpiresAt}), store.ErrInvalid)
	require.NoError(t, s.SaveAuthRequest(ctx, req))
	req.Subject, req.Pushed = "alice", false
	require.NoError(t, s.SaveAuthRequest(ctx, req), "saving again replaces")
	got, err := s.AuthRequest(ctx, "req")
	require.NoError(t, err)
	assertSame(t, req, got)
	got, err = s.ConsumeAuthRequest(ctx, "req")
	require.NoError(t, err)
	assert.Equal(t, "xyz", got.State)
	_, err = s.ConsumeAuthRequest(ctx, "req")
	assert.ErrorIs(t, err, store.ErrNotFound)

	consent := store.Consent{Subject: "alice", ClientID: "client", Scopes: []string{"a"}, GrantedAt: epoch, ExpiresAt: epoch.Add(time.Hour)}
	require.NoError(t, s.SaveConsent(ctx, consent))
	consent.Scopes = []string{"a", "b"}
	require.NoError(t, s.SaveConsent(ctx, consent))
	gotConsent, err := s.Consent(ctx, "alice", "client")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, gotConsent.Scopes)
	assert.ErrorIs(t, s.SaveConsent(ctx, store.Consent{ClientID: "client", ExpiresAt: consent.ExpiresAt}), store.ErrInvalid)
	c.set(consent.ExpiresAt)
	_, err = s.Consent(ctx, "alice", "client")
	assert.ErrorIs(t, err, store.ErrNotFound)
	c.set(epoch)
	require.NoError(t, s.DeleteConsent(ctx, "alice", "client"))
	require.NoError(t, s.DeleteConsent(ctx, "alice", "client"))
	_, err = s.Consent(ctx, "alice", "client")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestClients(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	_, err := s.Client(ctx, "app")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, s.SaveClient(ctx, store.Client{}), store.ErrInvalid)
	want := store.Client{
		ID: "app", SecretHash: "h", Name: "App", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"authorization_code"}, Scopes: []string{}, AuthMethod: "client_secret_basic",
		PKCEOptional: true, AccessTokenFormat: "jwt", CreatedAt: epoch,
	}
	require.NoError(t, s.SaveClient(ctx, want))
	got, err := s.Client(ctx, "app")
	require.NoError(t, err)
	assertSame(t, want, got)
	want.Name = "Renamed"
	require.NoError(t, s.SaveClient(ctx, want))
	got, err = s.Client(ctx, "app")
	require.NoError(t, err)
	assert.Equal(t, "Renamed", got.Name)
}

func TestDatabaseErrorsAreNotSuccess(t *testing.T) {
	pool := newTestPool(t)
	c := newClock(epoch)
	s := New(pool).withClock(c) // never migrated: every table is missing
	ctx := t.Context()
	assertSystemError(t, s.SaveGrant(ctx, testGrant("g", "")))
	_, err := s.Grant(ctx, "g")
	assertSystemError(t, err)
	_, err = s.RotateRefreshToken(ctx, "g", "r1", refresh("r2", c))
	assertSystemError(t, err)
	assertSystemError(t, s.RevokeGrant(ctx, "g"))
	assertSystemError(t, s.SaveCode(ctx, testCode("code", "g")))
	_, err = s.Code(ctx, "g", "code")
	assertSystemError(t, err)
	_, err = s.ConsumeCode(ctx, "g", "code")
	assertSystemError(t, err)
	assertSystemError(t, s.SaveAccessToken(ctx, testAccess("at", "g")))
	assertSystemError(t, s.SaveAccessToken(ctx, testAccess("at", "")))
	_, err = s.AccessToken(ctx, "at")
	assertSystemError(t, err)
	assertSystemError(t, s.DeleteAccessToken(ctx, "at"))
	assertSystemError(t, s.UseOnce(ctx, "k", epoch.Add(time.Minute)))

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Client(canceled, "x")
	assertSystemError(t, err)
	assert.ErrorIs(t, err, context.Canceled)
}

// assertSystemError checks that err is a wrapped failure and none of the
// store's sentinels, which callers would act on.
func assertSystemError(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.Regexp(t, `^postgres: `, err.Error())
	for _, sentinel := range []error{store.ErrNotFound, store.ErrAlreadyExists, store.ErrExpired, store.ErrReused, store.ErrInvalid} {
		assert.NotErrorIs(t, err, sentinel)
	}
}

// assertSame checks that got is want once times are compared as instants
// (the database keeps neither location nor monotonic reading).
func assertSame[T any](t *testing.T, want, got T, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, normalTimes(want), normalTimes(got), msgAndArgs...)
}

// normalTimes returns v with every time.Time field in UTC without a
// monotonic reading, so that assert.Equal compares instants.
func normalTimes[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	for i := range rv.NumField() {
		if tm, ok := rv.Field(i).Interface().(time.Time); ok {
			if tm.IsZero() {
				tm = time.Time{}
			} else {
				tm = tm.UTC().Round(0)
			}
			rv.Field(i).Set(reflect.ValueOf(tm))
		}
	}
	return v
}
