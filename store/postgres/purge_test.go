package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
)

// rowCounts reports how many rows each table holds.
func rowCounts(t *testing.T, s *Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"kunci_codes", "kunci_tokens",
		"kunci_revoked_grants", "kunci_auth_requests", "kunci_consents"} {
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

	// Grant "short": a code (10 min) and a refresh family that ends at 24 h.
	require.NoError(t, s.SaveCode(ctx, testCode("code", "short")))
	require.NoError(t, s.SaveRefreshToken(ctx, testRefresh("r1", "short", 0)))
	_, err := s.RotateRefreshToken(ctx, "r1", testRefresh("r2", "short", 1))
	require.NoError(t, err)
	// Grant "long": a retired token whose successor lives 48 h.
	require.NoError(t, s.SaveRefreshToken(ctx, testRefresh("l1", "long", 0)))
	l2 := testRefresh("l2", "long", 1)
	l2.ExpiresAt = epoch.Add(48 * time.Hour)
	_, err = s.RotateRefreshToken(ctx, "l1", l2)
	require.NoError(t, err)
	// A grantless access token (1 h), a revoked grant with a late record.
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("cc", "")))
	require.NoError(t, s.RevokeGrant(ctx, "revoked"))
	late := testAccess("late", "revoked")
	late.ExpiresAt = epoch.Add(36 * time.Hour)
	require.NoError(t, s.SaveAccessToken(ctx, late))
	require.NoError(t, s.SaveAuthRequest(ctx, store.AuthRequest{ID: "req", ExpiresAt: epoch.Add(time.Minute)}))
	require.NoError(t, s.SaveConsent(ctx, store.Consent{Subject: "a", ClientID: "c", ExpiresAt: epoch.Add(30 * 24 * time.Hour)}))

	n, err := s.Purge(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing has expired yet")

	c.set(epoch.Add(25 * time.Hour))
	n, err = s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5), n, "code, r1, r2, cc and the auth request")
	assert.Equal(t, map[string]int{
		"kunci_codes": 0, "kunci_tokens": 3, // late, l1 and l2
		"kunci_revoked_grants": 1, "kunci_auth_requests": 0, "kunci_consents": 1,
	}, rowCounts(t, s))
	retired, err := s.RefreshToken(ctx, "l1")
	require.NoError(t, err, "a retired token of a live grant survives the purge")
	assert.True(t, retired.Rotated())

	// The tombstone outlives its day while the late record exists.
	c.set(epoch.Add(37 * time.Hour))
	n, err = s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n, "the late token, then the tombstone it kept")
	assert.Equal(t, 0, rowCounts(t, s)["kunci_revoked_grants"])

	c.set(epoch.Add(49 * time.Hour))
	_, err = s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{
		"kunci_codes": 0, "kunci_tokens": 0,
		"kunci_revoked_grants": 0, "kunci_auth_requests": 0, "kunci_consents": 1,
	}, rowCounts(t, s))
}

func TestPurgeKeepsFreshTombstone(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	require.NoError(t, s.RevokeGrant(ctx, "g"))
	c.advance(TombstoneMinAge - time.Second)
	_, err := s.Purge(ctx)
	require.NoError(t, err)
	// A record saved now, by a request that was in flight, is still refused.
	require.NoError(t, s.SaveAccessToken(ctx, store.AccessToken{Hash: "at", GrantID: "g", ExpiresAt: c.now().Add(time.Minute)}))
	_, err = s.AccessToken(ctx, "at")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestPurgerLoop(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("at", "g")))
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

// A live code keeps its grant alive, so Purge keeps the grant's retired
// refresh tokens (for reuse detection) and its tombstone.
func TestPurgeKeepsWhatALiveCodeNeeds(t *testing.T) {
	c := newClock(epoch)
	s := newTestStore(t).withClock(c)
	ctx := t.Context()

	// Grant "g": a refresh family that ends at 1 h, and a code that lives 3 h.
	require.NoError(t, s.SaveRefreshToken(ctx, testRefresh("r1", "g", 0)))
	r2 := testRefresh("r2", "g", 1)
	r2.ExpiresAt = epoch.Add(time.Hour)
	_, err := s.RotateRefreshToken(ctx, "r1", r2)
	require.NoError(t, err)
	code := testCode("code-g", "g")
	code.ExpiresAt = epoch.Add(3 * time.Hour)
	require.NoError(t, s.SaveCode(ctx, code))

	// Grant "late": revoked, then a code saved for it that lives 36 h.
	require.NoError(t, s.RevokeGrant(ctx, "late"))
	lateCode := testCode("code-late", "late")
	lateCode.ExpiresAt = epoch.Add(36 * time.Hour)
	require.NoError(t, s.SaveCode(ctx, lateCode))

	c.set(epoch.Add(2 * time.Hour))
	_, err = s.Purge(ctx)
	require.NoError(t, err)
	retired, err := s.RefreshToken(ctx, "r1")
	require.NoError(t, err, "the code still lives, so the retired token stays recognisable")
	assert.True(t, retired.Rotated())

	c.set(epoch.Add(25 * time.Hour)) // past TombstoneMinAge
	_, err = s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rowCounts(t, s)["kunci_revoked_grants"], "the late code keeps its grant's tombstone")
	_, err = s.ConsumeCode(ctx, "code-late")
	assert.ErrorIs(t, err, store.ErrNotFound, "and so stays revoked")
}
