package postgres

import (
	"context"
	"errors"
	"fmt"
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

func testCode(hash, grant string) store.AuthCode {
	return store.AuthCode{
		Hash: hash, GrantID: grant, ClientID: "client", Subject: "alice",
		RedirectURI: "https://app.example/cb", Scopes: []string{"openid", "profile"},
		Resources: []string{"https://api.example"}, CodeChallenge: "challenge", CodeChallengeMethod: "S256",
		AuthTime: epoch.Add(-time.Minute), IssuedAt: epoch, ExpiresAt: epoch.Add(10 * time.Minute),
	}
}

func testAccess(hash, grant string) store.AccessToken {
	return store.AccessToken{
		Hash: hash, GrantID: grant, ClientID: "client", Subject: "alice",
		Scopes: []string{"basic_info"}, Audience: []string{"https://api.example"},
		Claims: []byte(`{"tenant": "a"}`), IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour),
	}
}

func testRefresh(hash, grant string, n int) store.RefreshToken {
	return store.RefreshToken{
		Hash: hash, GrantID: grant, ClientID: "client", Subject: "alice",
		Scopes: []string{"basic_info"}, Audience: []string{"https://api.example"}, RefreshCount: n,
		AuthTime: epoch.Add(-time.Minute), IssuedAt: epoch, ExpiresAt: epoch.Add(24 * time.Hour),
	}
}

func TestCodeLifecycle(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	code := testCode("code-1", "grant-1")
	require.NoError(t, s.SaveCode(ctx, code))
	assert.ErrorIs(t, s.SaveCode(ctx, code), store.ErrAlreadyExists)

	got, err := s.ConsumeCode(ctx, "code-1")
	require.NoError(t, err)
	assertCodeEqual(t, code, got)

	got, err = s.ConsumeCode(ctx, "code-1")
	require.ErrorIs(t, err, store.ErrReused)
	assertCodeEqual(t, code, got)

	_, err = s.ConsumeCode(ctx, "unknown")
	assert.ErrorIs(t, err, store.ErrNotFound)

	// A consumed code stays recognisable until its expiry, then is gone.
	c.set(code.ExpiresAt)
	_, err = s.ConsumeCode(ctx, "code-1")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestCodeExpiresUnconsumed(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	code := testCode("code-1", "grant-1")
	require.NoError(t, s.SaveCode(ctx, code))
	c.set(code.ExpiresAt.Add(-time.Microsecond))
	c.advance(time.Microsecond)
	_, err := s.ConsumeCode(ctx, "code-1")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestSaveRefusesExpiredRecords(t *testing.T) {
	s := newTestStore(t).withClock(newClock(epoch))
	ctx := t.Context()
	for _, exp := range []time.Time{{}, epoch.Add(-time.Second), epoch} {
		t.Run(fmt.Sprint(exp), func(t *testing.T) {
			code := testCode("c", "g")
			code.ExpiresAt = exp
			assert.ErrorIs(t, s.SaveCode(ctx, code), store.ErrExpired)
			at := testAccess("a", "g")
			at.ExpiresAt = exp
			assert.ErrorIs(t, s.SaveAccessToken(ctx, at), store.ErrExpired)
			rt := testRefresh("r", "g", 0)
			rt.ExpiresAt = exp
			assert.ErrorIs(t, s.SaveRefreshToken(ctx, rt), store.ErrExpired)
			assert.ErrorIs(t, s.SaveAuthRequest(ctx, store.AuthRequest{ID: "r", ExpiresAt: exp}), store.ErrExpired)
			assert.ErrorIs(t, s.SaveConsent(ctx, store.Consent{Subject: "a", ClientID: "c", ExpiresAt: exp}), store.ErrExpired)
		})
	}
	var n int
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM kunci_codes) + (SELECT count(*) FROM kunci_tokens)
		+ (SELECT count(*) FROM kunci_auth_requests)
		+ (SELECT count(*) FROM kunci_consents)`).Scan(&n))
	assert.Zero(t, n, "no expired record reached the database")
}

func TestAccessTokenRoundTrip(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	full := testAccess("full", "grant-1")
	bare := store.AccessToken{Hash: "bare", ClientID: "svc", ExpiresAt: epoch.Add(time.Minute)}
	empty := store.AccessToken{Hash: "empty", ClientID: "svc", Scopes: []string{}, Claims: []byte{}, ExpiresAt: epoch.Add(time.Minute)}
	for _, want := range []store.AccessToken{full, bare, empty} {
		require.NoError(t, s.SaveAccessToken(ctx, want))
		got, err := s.AccessToken(ctx, want.Hash)
		require.NoError(t, err)
		assert.Equal(t, want.GrantID, got.GrantID)
		assert.Equal(t, want.ClientID, got.ClientID)
		assert.Equal(t, want.Subject, got.Subject)
		assert.Equal(t, want.Scopes, got.Scopes, "nil and empty lists are kept apart")
		assert.Equal(t, want.Audience, got.Audience)
		assert.Equal(t, want.Claims, got.Claims, "claims are kept byte for byte")
		assert.True(t, want.IssuedAt.Equal(got.IssuedAt), "issued at %v, got %v", want.IssuedAt, got.IssuedAt)
		assert.True(t, want.ExpiresAt.Equal(got.ExpiresAt))
	}
	assert.ErrorIs(t, s.SaveAccessToken(ctx, full), store.ErrAlreadyExists)

	c.set(full.ExpiresAt)
	_, err := s.AccessToken(ctx, "full")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestRefreshRotation(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	r1 := testRefresh("r1", "g", 0)
	r2 := testRefresh("r2", "g", 1)
	r2.ExpiresAt = r1.ExpiresAt.Add(time.Hour)
	require.NoError(t, s.SaveRefreshToken(ctx, r1))

	c.advance(time.Minute)
	old, err := s.RotateRefreshToken(ctx, "r1", r2)
	require.NoError(t, err)
	assert.False(t, old.Rotated(), "the old record comes back as it was before the rotation")
	assert.Empty(t, old.SuccessorHash)
	assert.Equal(t, r1.Scopes, old.Scopes)

	retired, err := s.RefreshToken(ctx, "r1")
	require.NoError(t, err)
	assert.True(t, retired.RotatedAt.Equal(c.now()), "rotated at %v", retired.RotatedAt)
	assert.Equal(t, "r2", retired.SuccessorHash)

	again, err := s.RotateRefreshToken(ctx, "r1", testRefresh("r3", "g", 1))
	require.ErrorIs(t, err, store.ErrReused)
	assert.Equal(t, "r2", again.SuccessorHash)
	_, err = s.RefreshToken(ctx, "r3")
	assert.ErrorIs(t, err, store.ErrNotFound, "a reused token saves no successor")

	live, err := s.RefreshToken(ctx, "r2")
	require.NoError(t, err)
	assert.Equal(t, 1, live.RefreshCount)
	assert.False(t, live.Rotated())

	// The retired token outlives its own expiry while r2 lives...
	c.set(r1.ExpiresAt.Add(time.Second))
	_, err = s.RefreshToken(ctx, "r1")
	require.NoError(t, err)
	// ...and goes with the last live record of its grant.
	require.NoError(t, s.DeleteToken(ctx, "r2"))
	_, err = s.RefreshToken(ctx, "r1")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestRotateErrors(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	require.NoError(t, s.SaveRefreshToken(ctx, testRefresh("r1", "g", 0)))
	require.NoError(t, s.SaveRefreshToken(ctx, testRefresh("taken", "g", 0)))
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("taken-by-access", "g")))

	expiredNext := testRefresh("r2", "g", 1)
	expiredNext.ExpiresAt = epoch
	noGrant := testRefresh("r2", "", 1)
	for _, tc := range []struct {
		name string
		old  string
		next store.RefreshToken
		want error
	}{
		{"unknown old token", "nope", testRefresh("r2", "g", 1), store.ErrNotFound},
		{"unknown old token and expired successor", "nope", expiredNext, store.ErrNotFound},
		{"successor of another grant", "r1", testRefresh("r2", "other", 1), store.ErrInvalid},
		{"successor without grant", "r1", noGrant, store.ErrInvalid},
		{"expired successor", "r1", expiredNext, store.ErrExpired},
		{"successor hash taken", "r1", testRefresh("taken", "g", 1), store.ErrAlreadyExists},
		{"successor hash is the old hash", "r1", testRefresh("r1", "g", 1), store.ErrAlreadyExists},
		{"successor hash held by an access token", "r1", testRefresh("taken-by-access", "g", 1), store.ErrAlreadyExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.RotateRefreshToken(ctx, tc.old, tc.next)
			assert.ErrorIs(t, err, tc.want)
		})
	}
	// None of the failures retired r1.
	got, err := s.RefreshToken(ctx, "r1")
	require.NoError(t, err)
	assert.False(t, got.Rotated())
}

func TestConcurrentSingleUse(t *testing.T) {
	const callers = 32
	s := newTestStore(t)
	ctx := t.Context()
	now := time.Now()
	code := testCode("code", "g")
	code.IssuedAt, code.ExpiresAt = now, now.Add(time.Minute)
	require.NoError(t, s.SaveCode(ctx, code))
	rt := testRefresh("r0", "g", 0)
	rt.IssuedAt, rt.ExpiresAt = now, now.Add(time.Hour)
	require.NoError(t, s.SaveRefreshToken(ctx, rt))
	require.NoError(t, s.SaveAuthRequest(ctx, store.AuthRequest{ID: "req", ExpiresAt: now.Add(time.Minute)}))

	start := make(chan struct{})
	type result struct{ code, rotate, request error }
	results := make(chan result, callers)
	for i := range callers {
		go func() {
			<-start
			var r result
			_, r.code = s.ConsumeCode(ctx, "code")
			next := rt
			next.Hash = fmt.Sprintf("r1-%d", i)
			_, r.rotate = s.RotateRefreshToken(ctx, "r0", next)
			_, r.request = s.ConsumeAuthRequest(ctx, "req")
			results <- r
		}()
	}
	close(start)
	var codeOK, codeReused, rotateOK, rotateReused, requestOK, requestGone int
	for range callers {
		r := <-results
		switch {
		case r.code == nil:
			codeOK++
		case errors.Is(r.code, store.ErrReused):
			codeReused++
		}
		switch {
		case r.rotate == nil:
			rotateOK++
		case errors.Is(r.rotate, store.ErrReused):
			rotateReused++
		}
		switch {
		case r.request == nil:
			requestOK++
		case errors.Is(r.request, store.ErrNotFound):
			requestGone++
		}
	}
	assert.Equal(t, 1, codeOK)
	assert.Equal(t, callers-1, codeReused)
	assert.Equal(t, 1, rotateOK)
	assert.Equal(t, callers-1, rotateReused)
	assert.Equal(t, 1, requestOK)
	assert.Equal(t, callers-1, requestGone)
	var live int
	require.NoError(t, s.pool.QueryRow(ctx, "SELECT count(*) FROM kunci_tokens WHERE kind = 'refresh' AND rotated_at IS NULL").Scan(&live))
	assert.Equal(t, 1, live, "exactly one successor was saved")
}

func TestRevokeGrant(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	require.NoError(t, s.SaveCode(ctx, testCode("code", "g")))
	_, err := s.ConsumeCode(ctx, "code")
	require.NoError(t, err)
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("at", "g")))
	require.NoError(t, s.SaveRefreshToken(ctx, testRefresh("r1", "g", 0)))
	_, err = s.RotateRefreshToken(ctx, "r1", testRefresh("r2", "g", 1))
	require.NoError(t, err)
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("other-at", "other")))
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("no-grant", "")))

	require.NoError(t, s.RevokeGrant(ctx, "g"))
	require.NoError(t, s.RevokeGrant(ctx, "g"), "revoking twice is fine")
	require.NoError(t, s.RevokeGrant(ctx, "never-seen"))
	assert.ErrorIs(t, s.RevokeGrant(ctx, ""), store.ErrInvalid)

	_, err = s.ConsumeCode(ctx, "code")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.AccessToken(ctx, "at")
	assert.ErrorIs(t, err, store.ErrNotFound)
	for _, h := range []string{"r1", "r2"} {
		_, err = s.RefreshToken(ctx, h)
		assert.ErrorIs(t, err, store.ErrNotFound, h)
	}
	_, err = s.RotateRefreshToken(ctx, "r2", testRefresh("r3", "g", 2))
	assert.ErrorIs(t, err, store.ErrNotFound)

	// Records saved after the revocation are kept but unreadable.
	require.NoError(t, s.SaveCode(ctx, testCode("late-code", "g")))
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("late-at", "g")))
	require.NoError(t, s.SaveRefreshToken(ctx, testRefresh("late-rt", "g", 0)))
	_, err = s.ConsumeCode(ctx, "late-code")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.AccessToken(ctx, "late-at")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.RefreshToken(ctx, "late-rt")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.RotateRefreshToken(ctx, "late-rt", testRefresh("late-rt2", "g", 1))
	assert.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.SaveCode(ctx, testCode("code-never-seen", "never-seen")))
	_, err = s.ConsumeCode(ctx, "code-never-seen")
	assert.ErrorIs(t, err, store.ErrNotFound)

	// Other grants and grantless tokens are untouched.
	_, err = s.AccessToken(ctx, "other-at")
	assert.NoError(t, err)
	_, err = s.AccessToken(ctx, "no-grant")
	assert.NoError(t, err)
}

func TestInteraction(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	req := store.AuthRequest{
		ID: "req", ClientID: "client", RedirectURI: "https://app.example/cb", ResponseType: "code",
		State: "xyz", Scopes: []string{"basic_info"}, CodeChallenge: "ch", CodeChallengeMethod: "S256",
		LoginURI: "https://app.example/login", CSRFHash: "csrf", CreatedAt: epoch, ExpiresAt: epoch.Add(10 * time.Minute),
	}
	assert.ErrorIs(t, s.SaveAuthRequest(ctx, store.AuthRequest{ExpiresAt: req.ExpiresAt}), store.ErrInvalid)
	require.NoError(t, s.SaveAuthRequest(ctx, req))
	req.Subject = "alice"
	require.NoError(t, s.SaveAuthRequest(ctx, req), "saving again replaces")
	got, err := s.AuthRequest(ctx, "req")
	require.NoError(t, err)
	assert.Equal(t, "alice", got.Subject)
	assert.Equal(t, req.Scopes, got.Scopes)
	assert.Nil(t, got.Resources)
	assert.True(t, req.CreatedAt.Equal(got.CreatedAt))
	got, err = s.ConsumeAuthRequest(ctx, "req")
	require.NoError(t, err)
	assert.Equal(t, "xyz", got.State)
	_, err = s.ConsumeAuthRequest(ctx, "req")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.AuthRequest(ctx, "req")
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
	assert.True(t, want.CreatedAt.Equal(got.CreatedAt))
	got.CreatedAt = want.CreatedAt
	assert.Equal(t, want, got)
	want.Name = "Renamed"
	require.NoError(t, s.SaveClient(ctx, want))
	got, err = s.Client(ctx, "app")
	require.NoError(t, err)
	assert.Equal(t, "Renamed", got.Name)
}

func TestDatabaseErrorsAreNotSuccess(t *testing.T) {
	pool := newTestPool(t)
	s := New(pool).withClock(newClock(epoch)) // never migrated: every table is missing
	ctx := t.Context()
	_, err := s.ConsumeCode(ctx, "code")
	assertSystemError(t, err)
	_, err = s.AccessToken(ctx, "at")
	assertSystemError(t, err)
	_, err = s.RotateRefreshToken(ctx, "r1", testRefresh("r2", "g", 1))
	assertSystemError(t, err)
	assertSystemError(t, s.SaveAccessToken(ctx, testAccess("at", "g")))
	assertSystemError(t, s.RevokeGrant(ctx, "g"))
	assertSystemError(t, s.DeleteToken(ctx, "at"))

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

func assertCodeEqual(t *testing.T, want, got store.AuthCode) {
	t.Helper()
	for _, p := range [][2]time.Time{{want.AuthTime, got.AuthTime}, {want.IssuedAt, got.IssuedAt}, {want.ExpiresAt, got.ExpiresAt}} {
		assert.True(t, p[0].Equal(p[1]), "want %v, got %v", p[0], p[1])
	}
	got.AuthTime, got.IssuedAt, got.ExpiresAt = want.AuthTime, want.IssuedAt, want.ExpiresAt
	assert.Equal(t, want, got)
}

func TestTokensShareOneKeySpace(t *testing.T) {
	s := newTestStore(t).withClock(newClock(epoch))
	ctx := t.Context()
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("h1", "g")))
	require.NoError(t, s.SaveRefreshToken(ctx, testRefresh("h2", "g", 0)))
	assert.ErrorIs(t, s.SaveRefreshToken(ctx, testRefresh("h1", "g", 0)), store.ErrAlreadyExists)
	assert.ErrorIs(t, s.SaveAccessToken(ctx, testAccess("h2", "g")), store.ErrAlreadyExists)

	// Each kind is only found by its own lookup.
	_, err := s.RefreshToken(ctx, "h1")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.AccessToken(ctx, "h2")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.RotateRefreshToken(ctx, "h1", testRefresh("h3", "g", 1))
	assert.ErrorIs(t, err, store.ErrNotFound, "an access token cannot be rotated")

	// DeleteToken takes either kind.
	require.NoError(t, s.DeleteToken(ctx, "h1"))
	require.NoError(t, s.DeleteToken(ctx, "h2"))
	require.NoError(t, s.DeleteToken(ctx, "unknown"))
	_, err = s.AccessToken(ctx, "h1")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.RefreshToken(ctx, "h2")
	assert.ErrorIs(t, err, store.ErrNotFound)
}
