package store

import (
	"hash/maphash"
	"sync"

	"github.com/patrickmn/go-cache"
)

// shardCount is how many go-cache shards each kind of record is split into.
// Removing the expired entries of a shard holds that shard's lock for one
// pass over it, about 0.2 µs an entry: with 1,024 shards, three million
// entries of one kind cost about 0.6 ms a shard, which is the longest a
// request waits for expiry work (BenchmarkShardSweep, BenchmarkSweepLatency).
// Each shard costs about 140 bytes when empty, so an empty Memory holds
// about 700 KB. It is a power of two so that picking a shard is a mask.
const shardCount = 1024

// shard is one go-cache of a shardedCache and the lock that makes a
// compound operation on its keys (read, check, write) atomic. Single reads
// and writes go through go-cache's own lock only, and so does the janitor's
// sweep, which never takes mu.
type shard struct {
	mu sync.Mutex
	c  *cache.Cache
}

// shardedCache is one kind of record, spread over shardCount go-caches by a
// hash of the key. The hash is seeded per store, so that keys a client
// chooses (use-once keys, request IDs) cannot be aimed at one shard.
type shardedCache struct {
	seed   maphash.Seed
	shards [shardCount]shard
}

func newShardedCache() *shardedCache {
	s := &shardedCache{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].c = cache.New(cache.NoExpiration, 0)
	}
	return s
}

// shard returns the shard that holds key.
func (s *shardedCache) shard(key string) *shard {
	return &s.shards[maphash.String(s.seed, key)&(shardCount-1)]
}

// get returns the entry stored under key, if go-cache has not expired it.
func (s *shardedCache) get(key string) (any, bool) {
	return s.shard(key).c.Get(key)
}

// len counts the entries of every shard, expired ones included until a sweep
// removes them.
func (s *shardedCache) len() int {
	n := 0
	for i := range s.shards {
		n += s.shards[i].c.ItemCount()
	}
	return n
}
