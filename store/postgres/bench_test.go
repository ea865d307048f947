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

// benchGrant returns a realistic grant with a refresh token that lives a
// month from now.
func benchGrant(id string, now time.Time) store.Grant {
	end := now.Add(30 * 24 * time.Hour)
	return store.Grant{
		ID: id, ClientID: "client", Subject: "alice", Scopes: []string{"openid", "basic_info", "email"},
		AuthTime: now, ACR: "1", AMR: []string{"pwd"}, SessionID: "sid", Nonce: "n-0S6_WzA2Mj",
		RefreshHash: benchHash('r', 0), RefreshIssuedAt: now, RefreshExpiresAt: end,
		CreatedAt: now, ExpiresAt: end,
	}
}

func benchAccess(hash, grant string, now time.Time) store.AccessToken {
	return store.AccessToken{
		Hash: hash, GrantID: grant, ClientID: "client", Subject: "alice",
		Scopes: []string{"basic_info", "email"}, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	}
}

// BenchmarkCodeSaveConsume measures one authorization code's life as the
// token endpoint sees it: SaveCode, Code (the checks before consuming),
// then ConsumeCode.
func BenchmarkCodeSaveConsume(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	now := time.Now()
	g := benchGrant("bench-grant", now)
	require.NoError(b, s.SaveGrant(ctx, g))
	var n uint64
	b.ReportAllocs()
	for b.Loop() {
		n++
		c := store.AuthCode{
			Hash: benchHash('c', n), GrantID: g.ID, ClientID: "client", RedirectURI: "https://app.example/cb",
			CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", CodeChallengeMethod: "S256",
			IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute),
		}
		if err := s.SaveCode(ctx, c); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Code(ctx, g.ID, c.Hash); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ConsumeCode(ctx, g.ID, c.Hash); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b)
}

// BenchmarkRefreshRotate measures RotateRefreshToken of one grant, again
// and again: one statement that updates the grant's one row.
func BenchmarkRefreshRotate(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	now := time.Now()
	g := benchGrant("bench-grant", now)
	require.NoError(b, s.SaveGrant(ctx, g))
	current := g.RefreshHash
	var n uint64
	b.ReportAllocs()
	for b.Loop() {
		n++
		next := store.RefreshState{Hash: benchHash('r', n), IssuedAt: now, ExpiresAt: g.ExpiresAt}
		if _, err := s.RotateRefreshToken(ctx, g.ID, current, next); err != nil {
			b.Fatal(err)
		}
		current = next.Hash
	}
	reportOps(b)
}

// BenchmarkAccessTokenLookup measures AccessToken over 10,000 stored tokens
// of 2,500 grants; each lookup also checks the token's grant.
func BenchmarkAccessTokenLookup(b *testing.B) {
	s := newTestStore(b)
	ctx := b.Context()
	now := time.Now()
	const stored = 10_000
	for i := range uint64(stored / 4) {
		require.NoError(b, s.SaveGrant(ctx, benchGrant(benchHash('g', i), now)))
	}
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

// issue stores what the token endpoint stores for a password grant: a new
// grant with its refresh token, then an access token of it.
func issue(b *testing.B, s *Store, n uint64, now time.Time) error {
	g := benchGrant(benchHash('g', n), now)
	g.RefreshHash = benchHash('r', n)
	if err := s.SaveGrant(b.Context(), g); err != nil {
		return err
	}
	return s.SaveAccessToken(b.Context(), benchAccess(benchHash('a', n), g.ID, now))
}

// BenchmarkIssueTokenPair measures what the token endpoint stores per
// issue: SaveGrant then SaveAccessToken, one after the other.
func BenchmarkIssueTokenPair(b *testing.B) {
	s := newTestStore(b)
	now := time.Now()
	var n uint64
	b.ReportAllocs()
	for b.Loop() {
		n++
		if err := issue(b, s, n, now); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b)
}

// BenchmarkIssueTokenPairParallel is BenchmarkIssueTokenPair from 8
// goroutines per GOMAXPROCS, as concurrent token requests would run.
func BenchmarkIssueTokenPairParallel(b *testing.B) {
	s := newTestStore(b)
	now := time.Now()
	var counter atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := issue(b, s, counter.Add(1), now); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportOps(b)
}
