package store

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"
)

// TestGrantEntryNeverImmortal checks that a grant touched with an expiry
// that has already passed gets no entry: go-cache would keep an entry with a
// lifetime of zero or less forever.
func TestGrantEntryNeverImmortal(t *testing.T) {
	m := NewMemoryWithCleanup(0)
	m.mu.Lock()
	m.touchGrant("g", time.Now().Add(-time.Second))
	m.mu.Unlock()
	if n := m.grants.ItemCount(); n != 0 {
		t.Errorf("grant entries after touching a grant with a past expiry: %d, want 0", n)
	}
}

// TestExpiredGrantReplacedReclaimsRetired checks that retired refresh tokens,
// which have no cache expiry of their own, are reclaimed when their grant's
// expired entry is replaced before the janitor reaches it (here by a
// revocation) instead of staying in memory for good.
func TestExpiredGrantReplacedReclaimsRetired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemoryWithCleanup(0)
		ctx := t.Context()
		exp := time.Now().Add(10 * time.Second)
		if err := m.SaveRefreshToken(ctx, RefreshToken{Hash: "r1", GrantID: "g", ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.RotateRefreshToken(ctx, "r1", RefreshToken{Hash: "r2", GrantID: "g", ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		if err := m.RevokeGrant(ctx, "g"); err != nil {
			t.Fatal(err)
		}
		m.DeleteExpired()
		if _, ok := m.tokens.Get("r1"); ok {
			t.Error("retired token r1 is still held after its grant expired and was replaced")
		}
		if n := m.tokens.ItemCount(); n != 0 {
			t.Errorf("token entries after DeleteExpired: %d, want 0", n)
		}
	})
}

// TestAccessEntrySize pins the size of the access token entry, which a
// server may hold millions of (see BenchmarkHeapPerAccessToken).
func TestAccessEntrySize(t *testing.T) {
	if got, want := unsafe.Sizeof(accessEntry{}), uintptr(48); got > want {
		t.Errorf("accessEntry is %d bytes, want at most %d", got, want)
	}
}

// Attacker-chosen scope and audience combinations must not grow the shape
// table without bound.
func TestShapeTableIsBounded(t *testing.T) {
	m := NewMemoryWithCleanup(0)
	defer m.Close()
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for i := range maxShapes + 100 {
		aud := []string{fmt.Sprintf("https://r%d.example/", i)}
		if err := m.SaveAccessToken(ctx, AccessToken{Hash: fmt.Sprintf("h%d", i), ClientID: "c", Audience: aud, ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.shapes) != maxShapes {
		t.Fatalf("shape table has %d entries, want the bound %d", len(m.shapes), maxShapes)
	}
	// Tokens past the bound still read back whole.
	got, err := m.AccessToken(ctx, fmt.Sprintf("h%d", maxShapes+50))
	if err != nil || got.Audience[0] != fmt.Sprintf("https://r%d.example/", maxShapes+50) {
		t.Fatalf("token past the bound: %v %v", got, err)
	}
	m.DeleteExpired()
	if len(m.shapes) != 0 {
		t.Fatalf("a full table is cleared by cleanup, has %d", len(m.shapes))
	}
}

// No two (subject, client) pairs may share a consent.
func TestConsentKeysDoNotCollide(t *testing.T) {
	if consentKey("a\x00b", "c") == consentKey("a", "b\x00c") || consentKey("ab", "c") == consentKey("a", "bc") {
		t.Fatal("consent keys collide")
	}
}
