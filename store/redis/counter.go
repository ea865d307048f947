package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// CounterOptions configures a [Counter]. The zero value is a valid
// configuration: keys start with [DefaultKeyPrefix].
type CounterOptions struct {
	// KeyPrefix starts every key the counter uses, followed by "t:" and
	// the count's key (see the package documentation, "Keys"). Empty means
	// [DefaultKeyPrefix], so that a Counter and a [Store] on one Redis
	// share a prefix without sharing a key. It may not contain '{' or '}',
	// as for [Options.KeyPrefix].
	KeyPrefix string
}

// MaxCounterKey is the longest key [Counter.Add] counts, in bytes: the
// bound the Counter interface of package authserver sets on its keys.
const MaxCounterKey = 128

// Counter keeps counts in fixed windows in Redis, so that several
// authorization server instances throttle together: it implements
// [github.com/kunci/kunci/authserver.Counter], to be set as the server's
// Limits.Counter. Each count is one key with Redis's own expiry as its
// window, and each [Counter.Add] is one Lua script on that one key, so it
// works on a single node, a Sentinel failover client, a Redis Cluster and
// a Ring alike. Make one with [NewCounter]; it is safe for concurrent use
// by many goroutines and many processes.
//
// Counts are throttling state, not records the server has acknowledged to
// a client: no Add waits for replicas, so a failover may lose the counts
// of the last moments, and a restart without persistence loses all of
// them. Either lets a throttled client try again sooner, never later.
type Counter struct {
	rdb    goredis.UniversalClient
	prefix string
	add    *goredis.Script
}

// NewCounter returns a Counter that keeps its counts in the Redis that
// client talks to. It sends no command; the client stays the caller's to
// configure and close, and may be the one a [Store] uses. It returns an
// error naming the field when opts cannot work.
func NewCounter(client goredis.UniversalClient, opts CounterOptions) (*Counter, error) {
	if client == nil {
		return nil, errors.New("redis: NewCounter: nil client")
	}
	prefix := opts.KeyPrefix
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, fmt.Errorf("redis: CounterOptions.KeyPrefix %q contains '{' or '}'", prefix)
	}
	return &Counter{rdb: client, prefix: prefix, add: goredis.NewScript(counterAddScript)}, nil
}

// counterAddScript: KEYS[1] the count; ARGV n (not negative), window in
// whole milliseconds (at least one). Replies {count, milliseconds until the
// window ends}, or {0, 0} for a read of a key that is not counted. A read
// (n = 0) never creates the key. INCRBY creates a key without expiry, so a
// key without one after it is new, and only then does its window start;
// Redis drops it when the window ends, by its own clock.
const counterAddScript = `
if ARGV[1] == '0' then
  local v = redis.call('GET', KEYS[1])
  if not v then return {0, 0} end
  local count = tonumber(v)
  if not count or count ~= math.floor(count) then return redis.error_reply('ERR the count is not an integer') end
  return {count, math.max(redis.call('PTTL', KEYS[1]), 0)}
end
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  left = tonumber(ARGV[2])
end
return {count, left}
`

// Add implements [github.com/kunci/kunci/authserver.Counter]: it adds n to
// the count of key within the current fixed window of length window, and
// returns the count and how long until the window ends. The first Add of a
// key starts its window, and later ones do not extend it; when it ends,
// Redis drops the key and the count starts from zero. n == 0 only reads:
// for a key that is not counted it returns 0, 0 and no error, and it never
// creates the key. The increment, the start of the window and the reads
// are one script, so concurrent Adds of one key, from any number of
// instances, each see a distinct count.
//
// window is rounded up to whole milliseconds, the unit of Redis's expiry.
// A negative n, a window that is not positive, and an empty key or one
// longer than [MaxCounterKey] are errors, as is a key that holds something
// other than a count. An Add that go-redis retries after its reply was lost
// may count twice, which throttles sooner, never later.
func (c *Counter) Add(ctx context.Context, key string, n int64, window time.Duration) (count int64, resets time.Duration, err error) {
	const op = "Counter.Add"
	switch {
	case n < 0:
		return 0, 0, fmt.Errorf("redis: %s: n is %d; it must be zero or positive", op, n)
	case window <= 0:
		return 0, 0, fmt.Errorf("redis: %s: window is %v; it must be positive", op, window)
	case key == "" || len(key) > MaxCounterKey:
		return 0, 0, fmt.Errorf("redis: %s: key is %d bytes; it must be 1 to %d", op, len(key), MaxCounterKey)
	}
	ms := (window + time.Millisecond - 1) / time.Millisecond
	v, err := c.add.Run(ctx, c.rdb, []string{c.counterKey(key)}, n, int64(ms)).Int64Slice()
	if err != nil {
		return 0, 0, fail(op, err)
	}
	if len(v) != 2 {
		return 0, 0, fmt.Errorf("redis: %s: unexpected script reply %v", op, v)
	}
	return v[0], time.Duration(v[1]) * time.Millisecond, nil
}
