package redis

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

// The benchmarks mirror store/postgres's (same names, same records) and
// run against the single node the tests share, with the Redis server's
// own clock, as in production. The ...Parallel ones run 8 goroutines per
// GOMAXPROCS, as concurrent token requests would. Each reports ops/s next
// to ns/op.

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

func newBenchStore(b *testing.B) *Store {
	b.Helper()
	return newStoreOn(b, singleClient(b), Options{})
}

// BenchmarkRoundTrip measures a PING through go-redis: the floor under
// every figure here.
func BenchmarkRoundTrip(b *testing.B) {
	client := singleClient(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := client.Ping(b.Context()).Err(); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b)
}

// codeLife is one authorization code's life as the token endpoint sees it:
// SaveCode, Code (the checks before consuming), then ConsumeCode.
func codeLife(b *testing.B, s *Store, grantID string, n uint64, now time.Time) error {
	c := store.AuthCode{
		Hash: benchHash('c', n), GrantID: grantID, ClientID: "client", RedirectURI: "https://app.example/cb",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", CodeChallengeMethod: "S256",
		IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute),
	}
	if err := s.SaveCode(b.Context(), c); err != nil {
		return err
	}
	if _, err := s.Code(b.Context(), grantID, c.Hash); err != nil {
		return err
	}
	_, err := s.ConsumeCode(b.Context(), grantID, c.Hash)
	return err
}

// BenchmarkCodeSaveConsume measures codeLife: three scripts on the grant's
// slot.
func BenchmarkCodeSaveConsume(b *testing.B) {
	s := newBenchStore(b)
	now := time.Now()
	g := benchGrant("bench-grant", now)
	require.NoError(b, s.SaveGrant(b.Context(), g))
	var n uint64
	b.ReportAllocs()
	for b.Loop() {
		n++
		if err := codeLife(b, s, g.ID, n, now); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b)
}

// BenchmarkCodeSaveConsumeParallel is BenchmarkCodeSaveConsume from many
// goroutines, on 64 grants.
func BenchmarkCodeSaveConsumeParallel(b *testing.B) {
	s := newBenchStore(b)
	now := time.Now()
	const grants = 64
	for i := range uint64(grants) {
		require.NoError(b, s.SaveGrant(b.Context(), benchGrant(benchHash('g', i), now)))
	}
	var counter atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := counter.Add(1)
			if err := codeLife(b, s, benchHash('g', n%grants), n, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportOps(b)
}

// BenchmarkRefreshRotate measures RotateRefreshToken of one grant, again
// and again: one script that rewrites three to six fields of the grant's
// hash.
func BenchmarkRefreshRotate(b *testing.B) {
	s := newBenchStore(b)
	now := time.Now()
	g := benchGrant("bench-grant", now)
	require.NoError(b, s.SaveGrant(b.Context(), g))
	current := g.RefreshHash
	var n uint64
	b.ReportAllocs()
	for b.Loop() {
		n++
		next := store.RefreshState{Hash: benchHash('r', n), IssuedAt: now, ExpiresAt: g.ExpiresAt}
		if _, err := s.RotateRefreshToken(b.Context(), g.ID, current, next); err != nil {
			b.Fatal(err)
		}
		current = next.Hash
	}
	reportOps(b)
}

// BenchmarkRefreshRotateParallel rotates from many goroutines, each its
// own grant's refresh token.
func BenchmarkRefreshRotateParallel(b *testing.B) {
	s := newBenchStore(b)
	now := time.Now()
	var workers, counter atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := benchGrant(benchHash('g', workers.Add(1)), now)
		if err := s.SaveGrant(b.Context(), g); err != nil {
			b.Error(err)
			return
		}
		current := g.RefreshHash
		for pb.Next() {
			next := store.RefreshState{Hash: benchHash('r', counter.Add(1)), IssuedAt: now, ExpiresAt: g.ExpiresAt}
			if _, err := s.RotateRefreshToken(b.Context(), g.ID, current, next); err != nil {
				b.Error(err)
				return
			}
			current = next.Hash
		}
	})
	reportOps(b)
}

// saveLookupTokens stores 10,000 access tokens of 2,500 grants.
func saveLookupTokens(b *testing.B, s *Store, now time.Time) uint64 {
	const stored = 10_000
	for i := range uint64(stored / 4) {
		require.NoError(b, s.SaveGrant(b.Context(), benchGrant(benchHash('g', i), now)))
	}
	for i := range uint64(stored) {
		require.NoError(b, s.SaveAccessToken(b.Context(), benchAccess(benchHash('a', i), benchHash('g', i/4), now)))
	}
	return stored
}

// BenchmarkAccessTokenLookup measures AccessToken over 10,000 stored tokens
// of 2,500 grants: two scripts, the token's and its grant's.
func BenchmarkAccessTokenLookup(b *testing.B) {
	s := newBenchStore(b)
	stored := saveLookupTokens(b, s, time.Now())
	var n uint64
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AccessToken(b.Context(), benchHash('a', n%stored)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportOps(b)
}

// BenchmarkAccessTokenLookupParallel is BenchmarkAccessTokenLookup from
// many goroutines.
func BenchmarkAccessTokenLookupParallel(b *testing.B) {
	s := newBenchStore(b)
	stored := saveLookupTokens(b, s, time.Now())
	var counter atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.AccessToken(b.Context(), benchHash('a', counter.Add(1)%stored)); err != nil {
				b.Error(err)
				return
			}
		}
	})
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
// issue: SaveGrant then SaveAccessToken (itself two scripts).
func BenchmarkIssueTokenPair(b *testing.B) {
	s := newBenchStore(b)
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

// BenchmarkIssueTokenPairParallel is BenchmarkIssueTokenPair from many
// goroutines.
func BenchmarkIssueTokenPairParallel(b *testing.B) {
	s := newBenchStore(b)
	now := time.Now()
	var counter atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
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
