package postgres

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
)

// The benchmarks run against the throwaway server TestMain starts. By default
// it runs with fsync off; set KUNCI_PG_DURABLE=1 for PostgreSQL's default,
// crash-safe settings. Each reports ops/s next to ns/op.

// benchHash returns a hash shaped like the server's (43 characters of
// unpadded base64url SHA-256), different for every n and prefix.
func benchHash(prefix byte, n uint64) string {
	var in [9]byte
	in[0] = prefix
	binary.BigEndian.PutUint64(in[1:], n)
	sum := sha256.Sum256(in[:])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func reportOps(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func benchAccess(hash, grant string, now time.Time) store.AccessToken {
	return store.AccessToken{
		Hash: hash, GrantID: grant, ClientID: "client", Subject: "alice",
		Scopes: []string{"basic_info", "email"}, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	}
}

func benchRefresh(hash, grant string, n int, now time.Time) store.RefreshToken {
	return store.RefreshToken{
		Hash: hash, GrantID: grant, ClientID: "client", Subject: "alice",
		Scopes: []string{"basic_info", "email"}, RefreshCount: n,
		AuthTime: now, IssuedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour),
	}
}

// BenchmarkCodeSaveConsume measures one authorization code's life: SaveCode
// then ConsumeCode.
func BenchmarkCodeSaveConsume(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	now := time.Now()
	var n uint64
	b.ReportAllocs()
	for b.Loop() {
		n++
		c := store.AuthCode{
			Hash: benchHash('c', n), GrantID: benchHash('g', n), ClientID: "client", Subject: "alice",
			RedirectURI: "https://app.example/cb", Scopes: []string{"basic_info"},
			CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", CodeChallengeMethod: "S256",
			AuthTime: now, IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute),
		}
		if err := s.SaveCode(ctx, c); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ConsumeCode(ctx, c.Hash); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b)
}

// BenchmarkRefreshRotate measures RotateRefreshToken along one long family.
func BenchmarkRefreshRotate(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	now := time.Now()
	const grant = "bench-grant"
	current := benchHash('r', 0)
	require.NoError(b, s.SaveRefreshToken(ctx, benchRefresh(current, grant, 0, now)))
	var n uint64
	b.ReportAllocs()
	for b.Loop() {
		n++
		next := benchRefresh(benchHash('r', n), grant, int(n), now)
		if _, err := s.RotateRefreshToken(ctx, current, next); err != nil {
			b.Fatal(err)
		}
		current = next.Hash
	}
	reportOps(b)
}

// BenchmarkAccessTokenLookup measures AccessToken over 10,000 stored tokens.
func BenchmarkAccessTokenLookup(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	now := time.Now()
	const stored = 10_000
	for i := range uint64(stored) {
		require.NoError(b, s.SaveAccessToken(ctx, benchAccess(benchHash('a', i), benchHash('g', i/4), now)))
	}
	var n uint64
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AccessToken(ctx, benchHash('a', n%stored)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportOps(b)
}

// BenchmarkIssueTokenPair measures what the token endpoint stores per
// issue: SaveAccessToken then SaveRefreshToken, one after the other.
func BenchmarkIssueTokenPair(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	now := time.Now()
	var n uint64
	b.ReportAllocs()
	for b.Loop() {
		n++
		grant := benchHash('g', n)
		if err := s.SaveAccessToken(ctx, benchAccess(benchHash('a', n), grant, now)); err != nil {
			b.Fatal(err)
		}
		if err := s.SaveRefreshToken(ctx, benchRefresh(benchHash('r', n), grant, 0, now)); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b)
}

// BenchmarkIssueTokenPairParallel is BenchmarkIssueTokenPair from 8
// goroutines per GOMAXPROCS, as concurrent token requests would run.
func BenchmarkIssueTokenPairParallel(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	now := time.Now()
	var counter atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := counter.Add(1)
			grant := benchHash('g', n)
			if err := s.SaveAccessToken(ctx, benchAccess(benchHash('a', n), grant, now)); err != nil {
				b.Error(err)
				return
			}
			if err := s.SaveRefreshToken(ctx, benchRefresh(benchHash('r', n), grant, 0, now)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportOps(b)
}
