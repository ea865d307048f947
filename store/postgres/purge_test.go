package postgres

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
)

// tables are the tables whose rows Purge deletes.
var tables = []string{"kunci_grants", "kunci_codes", "kunci_access_tokens",
	"kunci_auth_requests", "kunci_consents", "kunci_use_once"}

// rowCounts reports how many rows each table holds.
func rowCounts(t *testing.T, s *Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range tables {
		var n int
		require.NoError(t, s.pool.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n))
		out[table] = n
	}
	return out
}

func TestPurge(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()

	// Grant "short" lives a day: a code (10 min), an access token (1 h)
	// and a refresh token rotated once.
	require.NoError(t, s.SaveGrant(ctx, testGrant("short", "r1")))
	require.NoError(t, s.SaveCode(ctx, testCode("code", "short")))
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("at", "short")))
	_, err := s.RotateRefreshToken(ctx, "short", "r1", refresh("r2", c))
	require.NoError(t, err)
	// Grant "long" lives two days; grant "revoked" a day, as a tombstone.
	long := testGrant("long", "l1")
	long.ExpiresAt = epoch.Add(48 * time.Hour)
	require.NoError(t, s.SaveGrant(ctx, long))
	require.NoError(t, s.SaveGrant(ctx, testGrant("revoked", "")))
	require.NoError(t, s.RevokeGrant(ctx, "revoked"))
	// A grantless access token (1 h), a request, a consent, a used key.
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("cc", "")))
	require.NoError(t, s.SaveAuthRequest(ctx, store.AuthRequest{ID: "req", ExpiresAt: epoch.Add(time.Minute)}))
	require.NoError(t, s.SaveConsent(ctx, store.Consent{Subject: "a", ClientID: "c", ExpiresAt: epoch.Add(30 * 24 * time.Hour)}))
	require.NoError(t, s.UseOnce(ctx, "dpop:1", epoch.Add(5*time.Minute)))

	n, err := s.Purge(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing has expired yet")

	c.set(epoch.Add(2 * time.Hour))
	n, err = s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5), n, "the code, both access tokens, the request and the used key")
	assert.Equal(t, map[string]int{
		"kunci_grants": 3, "kunci_codes": 0, "kunci_access_tokens": 0,
		"kunci_auth_requests": 0, "kunci_consents": 1, "kunci_use_once": 0,
	}, rowCounts(t, s))
	_, err = s.RotateRefreshToken(ctx, "short", "r1", refresh("x", c))
	assert.ErrorIs(t, err, store.ErrReused, "a retired token of a live grant is still a reuse after a purge")

	c.set(epoch.Add(24 * time.Hour))
	n, err = s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n, "grant short and the tombstone of revoked")
	require.NoError(t, s.SaveGrant(ctx, store.Grant{ID: "revoked", ClientID: "c", ExpiresAt: c.now().Add(time.Hour)}),
		"a purged tombstone's id is free")

	c.set(epoch.Add(48 * time.Hour))
	_, err = s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{
		"kunci_grants": 0, "kunci_codes": 0, "kunci_access_tokens": 0,
		"kunci_auth_requests": 0, "kunci_consents": 1, "kunci_use_once": 0,
	}, rowCounts(t, s))
}

// TestPurgeBoundedAfterRotations is the bound issue 14 asks for: one grant
// rotates its refresh token 200,000 times, driven through the store (each
// rotation is one statement, about 0.25 ms against the throwaway server on
// a 2-core machine, so the test takes about a minute), with an access token
// every 100 rotations and a code; once everything but the current tokens
// has expired, Purge leaves two rows (the grant and the current access
// token), and every retired refresh token is still recognised as a reuse.
// With -short it rotates 20,000 times; KUNCI_PG_ROTATIONS sets the number.
func TestPurgeBoundedAfterRotations(t *testing.T) {
	rotations := 200_000
	if testing.Short() {
		rotations = 20_000
	}
	rotations = envInt(t, "KUNCI_PG_ROTATIONS", rotations)
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	end := epoch.Add(24 * time.Hour)
	hash := func(i int) string { return benchHash('r', uint64(i)) }
	g := testGrant("g", hash(0))
	g.RefreshExpiresAt = end
	require.NoError(t, s.SaveGrant(ctx, g))
	require.NoError(t, s.SaveCode(ctx, testCode("code", "g")))
	_, err := s.ConsumeCode(ctx, "g", "code")
	require.NoError(t, err)
	start := time.Now()
	saved := 0
	for i := 1; i <= rotations; i++ {
		next := store.RefreshState{Hash: hash(i), IssuedAt: c.now(), ExpiresAt: end}
		if _, err := s.RotateRefreshToken(ctx, "g", hash(i-1), next); err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
		if i%100 == 0 || i == rotations {
			at := testAccess(benchHash('a', uint64(i)), "g")
			at.ExpiresAt = c.now().Add(time.Minute)
			if i == rotations {
				at.ExpiresAt = c.now().Add(time.Hour) // the current access token
			}
			if err := s.SaveAccessToken(ctx, at); err != nil {
				t.Fatalf("access token %d: %v", i, err)
			}
			saved++
		}
		c.advance(time.Millisecond)
	}
	t.Logf("%d rotations, %d access tokens in %v", rotations, saved, time.Since(start).Round(time.Millisecond))
	assert.Equal(t, saved, rowCounts(t, s)["kunci_access_tokens"], "before the purge")

	c.advance(11 * time.Minute) // past every access token's and the code's expiry
	_, err = s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{
		"kunci_grants": 1, "kunci_codes": 0, "kunci_access_tokens": 1,
		"kunci_auth_requests": 0, "kunci_consents": 0, "kunci_use_once": 0,
	}, rowCounts(t, s), "after %d rotations and the expiry of all but the current tokens", rotations)
	for _, i := range []int{0, rotations / 2, rotations - 1} {
		_, err := s.RotateRefreshToken(ctx, "g", hash(i), store.RefreshState{Hash: "x", IssuedAt: c.now(), ExpiresAt: end})
		assert.ErrorIs(t, err, store.ErrReused, "the token retired by rotation %d", i+1)
	}
	got, err := s.Grant(ctx, "g")
	require.NoError(t, err)
	assert.Equal(t, hash(rotations), got.RefreshHash)
	assert.Equal(t, rotations, got.RefreshCount)
}

func TestPurgerLoop(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("at", "")))
	c.set(epoch.Add(2 * time.Hour))

	tick := make(chan time.Time)
	type result struct {
		n   int64
		err error
	}
	results := make(chan result, 1)
	stop := s.startLoop(ctx, tick, nil, func(n int64, err error) { results <- result{n, err} })
	tick <- c.now()
	r := <-results
	require.NoError(t, r.err)
	assert.Equal(t, int64(1), r.n)
	stop()
	stop() // idempotent
}

func TestStartPurgerStops(t *testing.T) {
	s := newTestStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	stop := s.StartPurger(ctx, time.Hour, nil)
	cancel()
	stop() // returns once the goroutine has ended, even after ctx is done

	s.StartPurger(t.Context(), 0, nil)() // no interval, no loop, no panic
}

// TestPurgeFailureIsReported checks that Purge on a store without tables
// fails as a system error and deletes nothing.
func TestPurgeFailureIsReported(t *testing.T) {
	s := New(newTestPool(t))
	n, err := s.Purge(t.Context())
	assertSystemError(t, err)
	assert.Zero(t, n)
}

// envInt reads a positive integer from the environment variable name, or
// returns def when it is unset.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}
