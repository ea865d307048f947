package store_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/kunci/kunci/store"
)

// benchHash returns a realistic stored hash: SHA-256 of i in unpadded
// base64url, 43 characters.
func benchHash(i int) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	sum := sha256.Sum256(b[:])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// benchGrantID returns a 22-character grant ID, like 16 random bytes in
// base64url.
func benchGrantID(i int) string {
	h := benchHash(-1 - i)
	return h[:22]
}

func benchAccess(i int, grantID string, exp time.Time) store.AccessToken {
	return store.AccessToken{
		Hash:      benchHash(i),
		GrantID:   grantID,
		ClientID:  "client-1234567890",
		Subject:   "user-" + strconv.FormatInt(100000000000000+int64(i), 10), // 20 characters
		Scopes:    []string{"basic_info", "email"},
		IssuedAt:  exp.Add(-time.Hour),
		ExpiresAt: exp,
	}
}

func newBenchMemory(b *testing.B) *store.Memory {
	m := store.NewMemoryWithCleanup(0)
	b.Cleanup(func() { _ = m.Close() })
	return m
}

func BenchmarkSaveAccessToken(b *testing.B) {
	m := newBenchMemory(b)
	ctx := b.Context()
	exp := time.Now().Add(time.Hour)
	// Tokens are made before the loop so that only the save is measured.
	const n = 1 << 16
	tokens := make([]store.AccessToken, n)
	for i := range tokens {
		tokens[i] = benchAccess(i, benchGrantID(i), exp)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == n { // start over with a fresh store, outside the timing
			b.StopTimer()
			m = newBenchMemory(b)
			i = 0
			b.StartTimer()
		}
		if err := m.SaveAccessToken(ctx, tokens[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkAccessToken(b *testing.B) {
	m := newBenchMemory(b)
	ctx := b.Context()
	exp := time.Now().Add(time.Hour)
	const n = 1 << 14
	hashes := make([]string, n)
	for i := range hashes {
		t := benchAccess(i, benchGrantID(i), exp)
		if err := m.SaveAccessToken(ctx, t); err != nil {
			b.Fatal(err)
		}
		hashes[i] = t.Hash
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := m.AccessToken(ctx, hashes[i%n]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkConsumeCode(b *testing.B) {
	m := newBenchMemory(b)
	ctx := b.Context()
	exp := time.Now().Add(time.Hour)
	code := store.AuthCode{
		GrantID: benchGrantID(0), ClientID: "client-1234567890", Subject: "user-100000000000000",
		RedirectURI: "https://app.example/cb", Scopes: []string{"basic_info", "email"},
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", CodeChallengeMethod: "S256",
		IssuedAt: exp.Add(-time.Minute), ExpiresAt: exp,
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// Each iteration saves a fresh code and consumes it: a code is
		// consumed once.
		code.Hash = benchHash(i)
		if err := m.SaveCode(ctx, code); err != nil {
			b.Fatal(err)
		}
		if _, err := m.ConsumeCode(ctx, code.Hash); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkRotateRefreshToken(b *testing.B) {
	m := newBenchMemory(b)
	ctx := b.Context()
	exp := time.Now().Add(time.Hour)
	tok := store.RefreshToken{
		Hash: benchHash(0), GrantID: benchGrantID(0), ClientID: "client-1234567890",
		Subject: "user-100000000000000", Scopes: []string{"basic_info", "email"},
		IssuedAt: exp.Add(-time.Hour), ExpiresAt: exp,
	}
	if err := m.SaveRefreshToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 1
	for b.Loop() {
		// One family rotating again and again, as a long-lived client does.
		next := tok
		next.Hash = benchHash(i)
		next.RefreshCount = i
		if _, err := m.RotateRefreshToken(ctx, tok.Hash, next); err != nil {
			b.Fatal(err)
		}
		tok = next
		i++
	}
}

// heapPerAccessToken saves n access tokens in an empty Memory and returns
// how many heap bytes each live token holds, as runtime.MemStats reports
// after a collection. uniqueGrant gives every token its own grant; otherwise
// tokens belong to no grant (client_credentials).
func heapPerAccessToken(tb testing.TB, n int, uniqueGrant bool) float64 {
	tb.Helper()
	ctx := tb.Context()
	exp := time.Now().Add(time.Hour)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := store.NewMemoryWithCleanup(0)
	for i := range n {
		grantID := ""
		if uniqueGrant {
			grantID = benchGrantID(i)
		}
		if err := m.SaveAccessToken(ctx, benchAccess(i, grantID, exp)); err != nil {
			tb.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if m.Len() < n {
		tb.Fatalf("Len() = %d, want at least %d", m.Len(), n)
	}
	runtime.KeepAlive(m)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// BenchmarkHeapPerAccessToken reports the heap each live access token holds
// (realistic fields: 43-character hash, 22-character grant ID or none, shared
// client ID, 20-character subject, two scopes) as the metric bytes/token.
// The goal is under 300 bytes.
func BenchmarkHeapPerAccessToken(b *testing.B) {
	for _, tc := range []struct {
		name        string
		uniqueGrant bool
	}{{"NoGrant", false}, {"UniqueGrant", true}} {
		b.Run(tc.name, func(b *testing.B) {
			var perToken float64
			for b.Loop() {
				perToken = heapPerAccessToken(b, 200_000, tc.uniqueGrant)
			}
			b.ReportMetric(perToken, "bytes/token")
		})
	}
}

var _ = fmt.Sprint
