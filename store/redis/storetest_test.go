package redis

import (
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
	"github.com/kunci/kunci/storetest"
)

// TestConformance runs the store conformance suite on a single node; every
// subtest gets a Store with a key prefix of its own.
func TestConformance(t *testing.T) {
	client := singleClient(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStoreOn(t, client, Options{}) })
}

// TestConformanceCluster runs the suite on a three-primary Redis Cluster,
// where a script whose keys are in two slots would fail with CROSSSLOT.
func TestConformanceCluster(t *testing.T) {
	client := clusterClient(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStoreOn(t, client, Options{}) })
}

// TestConformanceRing runs the suite on a Ring of two nodes, which shards
// keys by their hash tag as a cluster does.
func TestConformanceRing(t *testing.T) {
	client := ringClient(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStoreOn(t, client, Options{}) })
}

// TestConformanceSharded runs the suite with Options.Sharded through a
// plain *redis.Client on a one-node cluster, which owns every slot and so
// answers every command, but refuses a script with keys of two slots, as a
// sharding proxy would. Its first subtest shows why the option exists:
// without it, a *redis.Client saves an access token and checks its grant
// in one script, which such a server refuses.
func TestConformanceSharded(t *testing.T) {
	client := oneNodeCluster(t)
	t.Run("CrossSlotWithoutSharded", func(t *testing.T) {
		s := newStoreOn(t, client, Options{})
		ctx := t.Context()
		g := testGrant("g", "")
		g.ExpiresAt = time.Now().Add(time.Hour)
		require.NoError(t, s.SaveGrant(ctx, g), "a script on one slot")
		at := testAccess("at", "g")
		at.ExpiresAt = time.Now().Add(time.Minute)
		err := s.SaveAccessToken(ctx, at)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "CROSSSLOT")
	})
	storetest.Run(t, func(t *testing.T) store.Store { return newStoreOn(t, client, Options{Sharded: true}) })
}

// oneNodeCluster starts a cluster-enabled server that owns every slot,
// killed when t ends, and returns a plain client of it.
func oneNodeCluster(t *testing.T) *goredis.Client {
	t.Helper()
	needRedis(t)
	r, err := startFree(t.TempDir(), true, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	require.NoError(t, err)
	t.Cleanup(r.kill)
	client := goredis.NewClient(&goredis.Options{Addr: r.addr()})
	t.Cleanup(func() { client.Close() })
	require.NoError(t, client.Do(t.Context(), "cluster", "addslotsrange", 0, 16383).Err())
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := client.ClusterInfo(t.Context()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return client
		}
		require.True(t, time.Now().Before(deadline), "one-node cluster not ok within 30s: %v\n%s", err, info)
		time.Sleep(10 * time.Millisecond)
	}
}
