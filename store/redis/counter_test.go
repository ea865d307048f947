package redis

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

var _ authserver.Counter = (*Counter)(nil)

// newCounterOn returns a Counter on client with a key prefix of its own,
// and deletes its keys when t ends.
func newCounterOn(t testing.TB, client goredis.UniversalClient) (*Counter, string) {
	t.Helper()
	prefix := newPrefix()
	c, err := NewCounter(client, CounterOptions{KeyPrefix: prefix})
	require.NoError(t, err)
	t.Cleanup(func() { deletePrefix(client, prefix) })
	return c, prefix
}

// onEachTopology runs test on the shared single node, the three-primary
// cluster and the two-node Ring.
func onEachTopology(t *testing.T, test func(t *testing.T, client goredis.UniversalClient)) {
	t.Run("SingleNode", func(t *testing.T) { test(t, singleClient(t)) })
	t.Run("Cluster", func(t *testing.T) { test(t, clusterClient(t)) })
	t.Run("Ring", func(t *testing.T) { test(t, ringClient(t)) })
}

func TestNewCounterRefusesOptions(t *testing.T) {
	_, err := NewCounter(nil, CounterOptions{})
	assert.EqualError(t, err, "redis: NewCounter: nil client")
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	_, err = NewCounter(client, CounterOptions{KeyPrefix: "a{b}:"})
	assert.EqualError(t, err, `redis: CounterOptions.KeyPrefix "a{b}:" contains '{' or '}'`)
	c, err := NewCounter(client, CounterOptions{})
	require.NoError(t, err)
	assert.Equal(t, "kunci:t:fail/x", c.counterKey("fail/x"), "the default prefix, and the counts' kind")
}

// Counts are exact, per key, and a later Add neither restarts nor extends
// the window the first one started, whatever window it passes.
func TestCounterCounts(t *testing.T) {
	onEachTopology(t, func(t *testing.T, client goredis.UniversalClient) {
		c, prefix := newCounterOn(t, client)
		ctx := t.Context()
		const window = time.Hour
		add := func(key string, n int64, window time.Duration) (int64, time.Duration) {
			t.Helper()
			count, resets, err := c.Add(ctx, key, n, window)
			require.NoError(t, err)
			return count, resets
		}
		count, first := add("k", 1, window)
		assert.Equal(t, int64(1), count)
		assert.Positive(t, first)
		assert.LessOrEqual(t, first, window)
		count, resets := add("k", 4, 2*window)
		assert.Equal(t, int64(5), count)
		assert.LessOrEqual(t, resets, first, "a later Add does not extend the window")
		count, resets = add("k", 0, window)
		assert.Equal(t, int64(5), count, "a read returns the count")
		assert.Positive(t, resets)
		assert.LessOrEqual(t, resets, first)

		// Sixteen other keys, spread over the nodes of a cluster or a Ring.
		for i := range 16 {
			key := "key-" + string(rune('a'+i))
			for j := range i + 1 {
				count, _ := add(key, 1, window)
				assert.Equal(t, int64(j+1), count, key)
			}
		}
		for i := range 16 {
			count, _ := add("key-"+string(rune('a'+i)), 0, window)
			assert.Equal(t, int64(i+1), count)
		}
		count, _ = add("k", 0, window)
		assert.Equal(t, int64(5), count, "other keys leave k alone")
		assert.Equal(t, 17, countKeys(t, client, prefix))
		if _, ok := client.(*goredis.Client); !ok {
			assert.Greater(t, nodesHolding(t, client, prefix), 1, "the keys are on more than one node")
		}
	})
}

// nodesHolding counts the nodes of a cluster or Ring that hold a key with
// prefix.
func nodesHolding(t *testing.T, client goredis.UniversalClient, prefix string) int {
	t.Helper()
	var mu sync.Mutex
	nodes := 0
	count := func(ctx context.Context, c *goredis.Client) error {
		keys, _, err := c.Scan(ctx, 0, prefix+"*", 1000).Result()
		if len(keys) > 0 {
			mu.Lock()
			nodes++
			mu.Unlock()
		}
		return err
	}
	var err error
	switch c := client.(type) {
	case *goredis.ClusterClient:
		err = c.ForEachMaster(t.Context(), count)
	case *goredis.Ring:
		err = c.ForEachShard(t.Context(), count)
	}
	require.NoError(t, err)
	return nodes
}

// A read (n == 0) of a key that is not counted returns 0 and starts no
// window: it creates no key.
func TestCounterReadCreatesNothing(t *testing.T) {
	onEachTopology(t, func(t *testing.T, client goredis.UniversalClient) {
		c, prefix := newCounterOn(t, client)
		for range 3 {
			count, resets, err := c.Add(t.Context(), "fail/never", 0, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, int64(0), count)
			assert.Equal(t, time.Duration(0), resets)
		}
		assert.Equal(t, 0, countKeys(t, client, prefix))
		n, err := client.Exists(t.Context(), c.counterKey("fail/never")).Result()
		require.NoError(t, err)
		assert.Equal(t, int64(0), n)
	})
}

// When the window ends, Redis drops the key by its own expiry and the
// count starts again from zero, in a new window. The test waits for the
// expiry by polling the key's PTTL, with a deadline, not by sleeping.
func TestCounterWindowEnds(t *testing.T) {
	onEachTopology(t, func(t *testing.T, client goredis.UniversalClient) {
		c, _ := newCounterOn(t, client)
		ctx := t.Context()
		const short = 50 * time.Millisecond
		count, resets, err := c.Add(ctx, "k", 3, short)
		require.NoError(t, err)
		assert.Equal(t, int64(3), count)
		assert.Positive(t, resets)
		assert.LessOrEqual(t, resets, short)
		ttl, err := client.PTTL(ctx, c.counterKey("k")).Result()
		require.NoError(t, err)
		assert.Positive(t, ttl, "the key expires with its window")
		assert.LessOrEqual(t, ttl, short)

		waitGone(t, client, c.counterKey("k"))
		count, resets, err = c.Add(ctx, "k", 0, short)
		require.NoError(t, err)
		assert.Equal(t, int64(0), count, "the count ended with its window")
		assert.Equal(t, time.Duration(0), resets)
		count, resets, err = c.Add(ctx, "k", 1, time.Hour)
		require.NoError(t, err)
		assert.Equal(t, int64(1), count, "a new window counts from zero")
		assert.Greater(t, resets, short, "the new window is the one this Add passed")
		assert.LessOrEqual(t, resets, time.Hour)
	})
}

// waitGone polls key's PTTL until Redis reports it gone (-2), failing t
// after ten seconds.
func waitGone(t *testing.T, client goredis.UniversalClient, key string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ttl, err := client.PTTL(t.Context(), key).Result()
		require.NoError(t, err)
		if ttl == -2 { // go-redis passes Redis's -2 on as is
			return
		}
		require.True(t, time.Now().Before(deadline), "key %s still there, PTTL %v", key, ttl)
		time.Sleep(5 * time.Millisecond)
	}
}

// A window shorter than a millisecond, Redis's unit, is rounded up to one.
func TestCounterRoundsWindowUp(t *testing.T) {
	c, _ := newCounterOn(t, singleClient(t))
	count, resets, err := c.Add(t.Context(), "k", 1, time.Nanosecond)
	require.NoError(t, err)
	assert.Equal(t, int64(1), count)
	assert.LessOrEqual(t, resets, time.Millisecond)
	assert.GreaterOrEqual(t, resets, time.Duration(0))
}

// Concurrent Adds of one key each see a distinct count: the increment and
// the start of the window are one step.
func TestCounterConcurrent(t *testing.T) {
	onEachTopology(t, func(t *testing.T, client goredis.UniversalClient) {
		c, _ := newCounterOn(t, client)
		const workers, rounds = 32, 4
		for round := range rounds {
			key := "start-" + string(rune('0'+round))
			counts := make([]int64, workers)
			errs := make([]error, workers)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range workers {
				wg.Go(func() {
					<-start
					counts[i], _, errs[i] = c.Add(t.Context(), key, 1, time.Minute)
				})
			}
			close(start)
			wg.Wait()
			for _, err := range errs {
				assert.NoError(t, err)
			}
			slices.Sort(counts)
			want := make([]int64, workers)
			for i := range want {
				want[i] = int64(i + 1)
			}
			assert.Equal(t, want, counts, "round %d", round)
		}
	})
}

func TestCounterRefusesBadInput(t *testing.T) {
	client := singleClient(t)
	c, prefix := newCounterOn(t, client)
	ctx := t.Context()
	for _, tc := range []struct {
		name   string
		key    string
		n      int64
		window time.Duration
		err    string
	}{
		{"a negative n", "k", -1, time.Minute, "redis: Counter.Add: n is -1; it must be zero or positive"},
		{"a zero window", "k", 1, 0, "redis: Counter.Add: window is 0s; it must be positive"},
		{"a negative window", "k", 0, -time.Second, "redis: Counter.Add: window is -1s; it must be positive"},
		{"an empty key", "", 1, time.Minute, "redis: Counter.Add: key is 0 bytes; it must be 1 to 128"},
		{"a key over 128 bytes", strings.Repeat("k", 129), 1, time.Minute, "redis: Counter.Add: key is 129 bytes; it must be 1 to 128"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			count, resets, err := c.Add(ctx, tc.key, tc.n, tc.window)
			assert.EqualError(t, err, tc.err)
			assert.Equal(t, int64(0), count)
			assert.Equal(t, time.Duration(0), resets)
		})
	}
	assert.Equal(t, 0, countKeys(t, client, prefix), "a refused Add writes nothing")

	_, _, err := c.Add(ctx, strings.Repeat("k", 128), 1, time.Minute)
	assert.NoError(t, err, "a key of 128 bytes is counted")

	// A key that holds something else is an error, never a count.
	require.NoError(t, client.Set(ctx, c.counterKey("other"), "not a number", time.Minute).Err())
	for _, n := range []int64{0, 1} {
		count, _, err := c.Add(ctx, "other", n, time.Minute)
		assert.ErrorContains(t, err, "redis: Counter.Add: ")
		assert.ErrorContains(t, err, "not an integer")
		assert.Equal(t, int64(0), count)
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = c.Add(canceled, "k", 1, time.Minute)
	assert.ErrorIs(t, err, context.Canceled)
}
