package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
	"unsafe"
)

// TestTTLNeverImmortal checks that an expiry that is zero or not after now
// gives no cache lifetime: go-cache would keep an entry with a lifetime of
// zero or less forever.
func TestTTLNeverImmortal(t *testing.T) {
	now := time.Now()
	for _, exp := range []time.Time{{}, now.Add(-time.Second), now} {
		if d, err := ttl(exp, now); !errors.Is(err, ErrExpired) {
			t.Errorf("ttl(%v) = %v, %v; want ErrExpired", exp, d, err)
		}
	}
	if d, err := ttl(now.Add(time.Minute), now); err != nil || d != time.Minute {
		t.Errorf("ttl(now+1m) = %v, %v; want 1m", d, err)
	}
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

// No two (subject, client) pairs may share a consent, and no two (grant,
// hash) pairs a code.
func TestKeysDoNotCollide(t *testing.T) {
	if consentKey("a\x00b", "c") == consentKey("a", "b\x00c") || consentKey("ab", "c") == consentKey("a", "bc") {
		t.Error("consent keys collide")
	}
	if codeKey("a:1", "b") == codeKey("a", ":1b") || codeKey("ab", "c") == codeKey("a", "bc") || codeKey("1", "1:2") == codeKey("1:2", "") {
		t.Error("code keys collide")
	}
}

// TestAccessTokenFieldLimits checks that the lengths an access entry packs
// into 16 bits are refused beyond them, not truncated.
func TestAccessTokenFieldLimits(t *testing.T) {
	m := NewMemoryWithCleanup(0)
	ctx := context.Background()
	long := string(make([]byte, 1<<16))
	exp := time.Now().Add(time.Hour)
	if err := m.SaveAccessToken(ctx, AccessToken{Hash: "h1", JKT: long, ExpiresAt: exp}); !errors.Is(err, ErrInvalid) {
		t.Errorf("SaveAccessToken with a 64 KiB JKT: %v, want ErrInvalid", err)
	}
	if err := m.SaveAccessToken(ctx, AccessToken{Hash: "h2", GrantID: long, ExpiresAt: exp}); !errors.Is(err, ErrInvalid) {
		t.Errorf("SaveAccessToken with a 64 KiB grant id: %v, want ErrInvalid", err)
	}
	jkt := long[:1<<16-1]
	if err := m.SaveAccessToken(ctx, AccessToken{Hash: "h3", JKT: jkt, Subject: "s", Claims: []byte("{}"), ExpiresAt: exp}); err != nil {
		t.Fatalf("SaveAccessToken with the longest JKT: %v", err)
	}
	got, err := m.AccessToken(ctx, "h3")
	if err != nil || got.JKT != jkt || got.Subject != "s" || string(got.Claims) != "{}" {
		t.Errorf("AccessToken with the longest JKT: %q %q %v", got.Subject, got.Claims, err)
	}
}
