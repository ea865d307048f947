package store_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kunci/kunci/store"
	"github.com/kunci/kunci/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		m := store.NewMemory()
		t.Cleanup(func() { _ = m.Close() })
		return m
	})
}

// TestMemoryAccessHashFreeOnceReadAsGone shows that an access token's hash
// is free to save again as soon as AccessToken reports the token gone
// (store.AccessTokenStore: "an expired or deleted token's hash is free"),
// also in the part of a microsecond that the store's expiry rounds away and
// go-cache's own deadline still covers. The bubble's clock stands still
// while the store works, so the moment is exact.
func TestMemoryAccessHashFreeOnceReadAsGone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := store.NewMemoryWithCleanup(0)
		t.Cleanup(func() { _ = m.Close() })
		ctx := t.Context()
		// 500 ns past a whole microsecond, whatever the bubble's epoch.
		exp := time.Now().Truncate(time.Microsecond).Add(2*time.Millisecond + 500*time.Nanosecond)
		if err := m.SaveAccessToken(ctx, store.AccessToken{Hash: "h", ClientID: "app", ExpiresAt: exp}); err != nil {
			t.Fatalf("SaveAccessToken: %v", err)
		}
		time.Sleep(time.Until(exp) - 300*time.Nanosecond) // before exp, within its last microsecond
		if _, err := m.AccessToken(ctx, "h"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("AccessToken in the expired microsecond: %v, want ErrNotFound", err)
		}
		again := store.AccessToken{Hash: "h", ClientID: "other", ExpiresAt: time.Now().Add(time.Hour)}
		if err := m.SaveAccessToken(ctx, again); err != nil {
			t.Fatalf("SaveAccessToken under a hash AccessToken reports gone: %v, want nil", err)
		}
		got, err := m.AccessToken(ctx, "h")
		if err != nil || got.ClientID != "other" {
			t.Fatalf("AccessToken after the new save = %+v, %v; want the new token", got, err)
		}
	})
}

// TestMemoryJanitorReclaimsExpired shows that expired records are unreadable
// at once but hold memory until the janitor's pass reaches their shard,
// which happens within one cleanup interval of their expiry and reclaims
// every kind of record. The bubble's fake clock makes the minutes pass
// without waiting.
func TestMemoryJanitorReclaimsExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := store.NewMemoryWithCleanup(time.Minute)
		t.Cleanup(func() { _ = m.Close() })
		ctx := t.Context()
		now := time.Now()
		soon, later := now.Add(30*time.Second), now.Add(time.Hour)

		mustSave := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		mustSave("SaveGrant", m.SaveGrant(ctx, store.Grant{ID: "g1", ClientID: "app", ExpiresAt: soon,
			RefreshHash: "r1", RefreshIssuedAt: now, RefreshExpiresAt: soon}))
		mustSave("SaveAccessToken", m.SaveAccessToken(ctx, store.AccessToken{Hash: "access", GrantID: "g1", ExpiresAt: soon}))
		mustSave("SaveCode", m.SaveCode(ctx, store.AuthCode{Hash: "code", GrantID: "g1", ExpiresAt: soon}))
		_, err := m.RotateRefreshToken(ctx, "g1", "r1", store.RefreshState{Hash: "r2", IssuedAt: now, ExpiresAt: soon})
		mustSave("RotateRefreshToken", err)
		mustSave("SaveAuthRequest", m.SaveAuthRequest(ctx, store.AuthRequest{ID: "req", ExpiresAt: soon}))
		mustSave("SaveConsent", m.SaveConsent(ctx, store.Consent{Subject: "alice", ClientID: "app", ExpiresAt: soon}))
		mustSave("UseOnce", m.UseOnce(ctx, "dpop:jti", soon))
		mustSave("SaveAccessToken", m.SaveAccessToken(ctx, store.AccessToken{Hash: "long", ExpiresAt: later}))

		// A grant (one entry, rotated or not), a code, two access tokens, a
		// request, a consent and a use-once key.
		const all, kept = 7, 1
		if got := m.Len(); got != all {
			t.Fatalf("Len() after saving = %d, want %d", got, all)
		}

		time.Sleep(29 * time.Second) // the janitor's sweeps so far found nothing expired
		synctest.Wait()
		if got := m.Len(); got != all {
			t.Errorf("Len() before the records expired = %d, want %d", got, all)
		}
		time.Sleep(2 * time.Second) // past the expiry
		synctest.Wait()
		if _, err := m.Grant(ctx, "g1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Grant(g1) after it expired: got %v, want ErrNotFound", err)
		}
		if _, err := m.AccessToken(ctx, "access"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AccessToken(access) after it expired: got %v, want ErrNotFound", err)
		}

		time.Sleep(time.Minute) // one full pass after the expiry
		synctest.Wait()
		if got := m.Len(); got != kept {
			t.Errorf("Len() one cleanup interval after the expiry = %d, want %d", got, kept)
		}
		if _, err := m.AccessToken(ctx, "long"); err != nil {
			t.Errorf("AccessToken(long) after the janitor ran: %v", err)
		}
	})
}

// TestMemoryBoundedAfterRotations is the bound issue 14 asks for: after
// 200,000 rotations of one grant, each with an access token, and the expiry
// of everything but the current tokens, the store holds two entries (the
// grant and the current access token), and reuse of the first and the last
// retired refresh token is still detected.
func TestMemoryBoundedAfterRotations(t *testing.T) {
	if testing.Short() {
		t.Skip("rotates 200,000 times")
	}
	synctest.Test(t, func(t *testing.T) {
		m := store.NewMemoryWithCleanup(0)
		ctx := t.Context()
		start := time.Now()
		end := start.Add(24 * time.Hour)
		g := store.Grant{ID: benchGrantID(0), ClientID: "client-1234567890", Subject: "alice",
			Scopes: []string{"basic_info"}, ExpiresAt: end,
			RefreshHash: benchHash(0), RefreshIssuedAt: start, RefreshExpiresAt: end}
		if err := m.SaveGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		const rotations = 200_000
		for i := 1; i <= rotations; i++ {
			next := store.RefreshState{Hash: benchHash(i), IssuedAt: start, ExpiresAt: end}
			if _, err := m.RotateRefreshToken(ctx, g.ID, benchHash(i-1), next); err != nil {
				t.Fatalf("rotation %d: %v", i, err)
			}
			access := benchAccess(i, g.ID, start.Add(time.Minute))
			if i == rotations {
				access.ExpiresAt = start.Add(time.Hour) // the current access token
			}
			if err := m.SaveAccessToken(ctx, access); err != nil {
				t.Fatalf("access token %d: %v", i, err)
			}
		}
		time.Sleep(2 * time.Minute)
		m.DeleteExpired()
		if got, want := m.Len(), 2; got != want {
			t.Errorf("Len() after %d rotations and the expiry of all but the current tokens = %d, want %d", rotations, got, want)
		}
		for _, i := range []int{0, rotations - 1} {
			if _, err := m.RotateRefreshToken(ctx, g.ID, benchHash(i), store.RefreshState{Hash: benchHash(-1), IssuedAt: start, ExpiresAt: end}); !errors.Is(err, store.ErrReused) {
				t.Errorf("RotateRefreshToken of the token retired by rotation %d: %v, want ErrReused", i+1, err)
			}
		}
		got, err := m.Grant(ctx, g.ID)
		if err != nil || got.RefreshHash != benchHash(rotations) || got.RefreshCount != rotations {
			t.Errorf("Grant after the rotations: hash current %v, count %d, %v", got.RefreshHash == benchHash(rotations), got.RefreshCount, err)
		}
	})
}

// TestMemoryCloseStopsJanitor checks that Close ends the janitor goroutine:
// synctest.Test fails if a goroutine of its bubble outlives it.
func TestMemoryCloseStopsJanitor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := store.NewMemoryWithCleanup(time.Second)
		if err := m.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// TestMemoryHeapPerAccessToken holds the memory store to its goal: under
// 300 heap bytes per live access token, so a million live tokens fit in
// about 300 MB (BenchmarkHeapPerAccessToken reports the figure). A grant's
// own heap is the grant's, measured by BenchmarkHeapPerGrant.
func TestMemoryHeapPerAccessToken(t *testing.T) {
	if testing.Short() {
		t.Skip("saves 100k tokens")
	}
	const bound = 300
	for _, tc := range []struct {
		name        string
		uniqueGrant bool
	}{{"no grant", false}, {"unique grant per token", true}} {
		t.Run(tc.name, func(t *testing.T) {
			got := heapPerAccessToken(t, 100_000, tc.uniqueGrant)
			t.Logf("%.0f heap bytes per live access token", got)
			if got > bound {
				t.Errorf("%.0f heap bytes per live access token, want at most %d", got, bound)
			}
		})
	}
}
