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

// TestMemoryJanitorReclaimsExpired shows that expired records are unreadable
// at once but hold memory until the janitor runs, which then reclaims every
// kind of record, retired refresh tokens and grant entries included. The
// bubble's fake clock makes the minutes pass without waiting.
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
		mustSave("SaveAccessToken", m.SaveAccessToken(ctx, store.AccessToken{Hash: "access", GrantID: "g1", ExpiresAt: soon}))
		mustSave("SaveCode", m.SaveCode(ctx, store.AuthCode{Hash: "code", GrantID: "g1", ExpiresAt: soon}))
		mustSave("SaveRefreshToken", m.SaveRefreshToken(ctx, store.RefreshToken{Hash: "r1", GrantID: "g2", ExpiresAt: soon}))
		_, err := m.RotateRefreshToken(ctx, "r1", store.RefreshToken{Hash: "r2", GrantID: "g2", ExpiresAt: soon})
		mustSave("RotateRefreshToken", err)
		mustSave("SaveAuthRequest", m.SaveAuthRequest(ctx, store.AuthRequest{ID: "req", ExpiresAt: soon}))
		mustSave("SaveConsent", m.SaveConsent(ctx, store.Consent{Subject: "alice", ClientID: "app", ExpiresAt: soon}))
		mustSave("SaveAccessToken", m.SaveAccessToken(ctx, store.AccessToken{Hash: "long", ExpiresAt: later}))

		// 5 tokens (r1 retired), 2 grants, a request and a consent.
		const all, kept = 9, 1
		if got := m.Len(); got != all {
			t.Fatalf("Len() after saving = %d, want %d", got, all)
		}

		time.Sleep(45 * time.Second) // past the expiry, before the first tick
		synctest.Wait()
		if _, err := m.RefreshToken(ctx, "r1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RefreshToken(r1) after its grant expired: got %v, want ErrNotFound", err)
		}
		if _, err := m.AccessToken(ctx, "access"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AccessToken(access) after it expired: got %v, want ErrNotFound", err)
		}
		if got := m.Len(); got != all {
			t.Errorf("Len() before the janitor ran = %d, want %d", got, all)
		}

		time.Sleep(30 * time.Second) // past the first tick at one minute
		synctest.Wait()
		if got := m.Len(); got != kept {
			t.Errorf("Len() after the janitor ran = %d, want %d", got, kept)
		}
		if _, err := m.AccessToken(ctx, "long"); err != nil {
			t.Errorf("AccessToken(long) after the janitor ran: %v", err)
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
// about 300 MB (BenchmarkHeapPerAccessToken reports the figure: 183 bytes
// without a grant, 270 with a grant of its own per token).
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
