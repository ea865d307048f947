package store

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"testing"
	"time"
)

// shardTestHash returns a 43-character key like a stored token hash.
func shardTestHash(i int) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	sum := sha256.Sum256(b[:])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// TestShardsSpreadKeys checks that keys land on many shards, not a few,
// and that a key always lands on the same one.
func TestShardsSpreadKeys(t *testing.T) {
	s := newShardedCache()
	used := make(map[*shard]int)
	const keys = 100 * shardCount
	for i := range keys {
		k := shardTestHash(i)
		sh := s.shard(k)
		if again := s.shard(k); again != sh {
			t.Fatalf("key %d maps to two shards", i)
		}
		used[sh]++
	}
	if len(used) != shardCount {
		t.Errorf("%d keys used %d of %d shards", keys, len(used), shardCount)
	}
	for _, n := range used {
		if n > 200 {
			t.Errorf("a shard got %d of %d keys, expected about 100", n, keys)
			break
		}
	}
}

// BenchmarkShardSweep times go-cache's DeleteExpired on each access token
// shard of a store holding three million tokens, half of them expired: the
// longest a request can wait for expiry work, since a sweep holds one
// shard's lock at a time. It reports the slowest shard (max-ms) and the
// mean (mean-ms).
//
//	go test -run '^$' -bench ShardSweep -benchtime 1x ./store/
func BenchmarkShardSweep(b *testing.B) {
	const total = 3_000_000
	m := NewMemoryWithCleanup(0)
	live := time.Now().Add(time.Hour).UnixMicro()
	shape := m.shape("client-1234567890", []string{"basic_info", "email"}, nil)
	put := func(i int, d time.Duration) {
		h := shardTestHash(i)
		e := &accessEntry{text: "user-100000000000000", shape: shape, expiresAt: live, subjectLen: 20}
		m.access.shard(h).c.Set(h, e, d)
	}
	for i := range total / 2 {
		put(i, time.Hour)
	}
	var slowest, sum time.Duration
	for b.Loop() {
		b.StopTimer()
		for i := range total / 2 {
			put(total/2+i, time.Nanosecond) // expired by the sweep
		}
		b.StartTimer()
		for i := range m.access.shards {
			start := time.Now()
			m.access.shards[i].c.DeleteExpired()
			d := time.Since(start)
			slowest = max(slowest, d)
			sum += d
		}
	}
	if got := m.Len(); got != total/2 {
		b.Fatalf("Len() after the sweeps = %d, want %d", got, total/2)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(slowest), "max-ms")
	b.ReportMetric(ms(sum)/float64(b.N*shardCount), "mean-ms")
}
