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

func TestNewRefusesOptions(t *testing.T) {
	single := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	short := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", ReadTimeout: time.Second})
	ring := goredis.NewRing(&goredis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	t.Cleanup(func() { single.Close(); short.Close(); ring.Close() })
	for _, tc := range []struct {
		name   string
		client goredis.UniversalClient
		opts   Options
		want   string
	}{
		{"a nil client", nil, Options{}, "nil client"},
		{"a prefix with a brace", single, Options{KeyPrefix: "kunci{x}:"}, "Options.KeyPrefix"},
		{"a prefix with a closing brace", single, Options{KeyPrefix: "a}"}, "Options.KeyPrefix"},
		{"negative replicas", single, Options{WaitReplicas: -1}, "Options.WaitReplicas"},
		{"replicas without a timeout", single, Options{WaitReplicas: 1}, "Options.WaitTimeout"},
		{"a timeout under a millisecond", single, Options{WaitReplicas: 1, WaitTimeout: 999 * time.Microsecond}, "Options.WaitTimeout"},
		{"a timeout the read timeout cuts short", short, Options{WaitReplicas: 1, WaitTimeout: time.Second}, "Options.WaitTimeout"},
		{"replicas on a Ring", ring, Options{WaitReplicas: 1, WaitTimeout: time.Second}, "Options.WaitReplicas"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.client, tc.opts)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "redis: "), err.Error())
		})
	}
	for _, tc := range []struct {
		name   string
		client goredis.UniversalClient
		opts   Options
	}{
		{"the zero options", single, Options{}},
		{"a timeout ignored without replicas", single, Options{WaitTimeout: -1}},
		{"a timeout under the read timeout", short, Options{WaitReplicas: 2, WaitTimeout: 999 * time.Millisecond}},
		{"a Ring without waiting", ring, Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.client, tc.opts)
			assert.NoError(t, err)
		})
	}
}

// checkNotReplicated checks a Store that waits for a replica no primary
// has: every write that changes something is applied but reported with
// ErrNotReplicated; reads and refused writes wait for nothing.
func checkNotReplicated(t *testing.T, s *Store) {
	ctx := t.Context()
	g := testGrant("g", "r1")
	assert.ErrorIs(t, s.SaveGrant(ctx, g), ErrNotReplicated)
	got, err := s.Grant(ctx, "g")
	require.NoError(t, err, "the write was applied on the primary")
	assertSame(t, g, got)

	_, err = s.RotateRefreshToken(ctx, "g", "r1", store.RefreshState{Hash: "r2", IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour)})
	assert.ErrorIs(t, err, ErrNotReplicated)
	_, err = s.RotateRefreshToken(ctx, "g", "r1", store.RefreshState{Hash: "r3", IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour)})
	assert.ErrorIs(t, err, store.ErrReused, "a refused rotation wrote nothing and waited for nothing")
	assert.NotErrorIs(t, err, ErrNotReplicated)

	assert.ErrorIs(t, s.SaveCode(ctx, testCode("c", "g")), ErrNotReplicated)
	_, err = s.Code(ctx, "g", "c")
	assert.NoError(t, err)
	_, err = s.ConsumeCode(ctx, "g", "c")
	assert.ErrorIs(t, err, ErrNotReplicated)
	_, err = s.ConsumeCode(ctx, "g", "c")
	assert.ErrorIs(t, err, store.ErrReused)

	assert.ErrorIs(t, s.SaveAccessToken(ctx, testAccess("at", "g")), ErrNotReplicated)
	_, err = s.AccessToken(ctx, "at")
	assert.NoError(t, err)
	assert.ErrorIs(t, s.DeleteAccessToken(ctx, "at"), ErrNotReplicated)
	assert.NoError(t, s.DeleteAccessToken(ctx, "at"), "deleting nothing waits for nothing")

	assert.ErrorIs(t, s.UseOnce(ctx, "k", epoch.Add(time.Minute)), ErrNotReplicated)
	assert.ErrorIs(t, s.UseOnce(ctx, "k", epoch.Add(time.Minute)), store.ErrReused)
	assert.ErrorIs(t, s.SaveClient(ctx, store.Client{ID: "app"}), ErrNotReplicated)
	assert.ErrorIs(t, s.SaveAuthRequest(ctx, store.AuthRequest{ID: "r", ExpiresAt: epoch.Add(time.Minute)}), ErrNotReplicated)
	_, err = s.ConsumeAuthRequest(ctx, "r")
	assert.ErrorIs(t, err, ErrNotReplicated)
	assert.ErrorIs(t, s.SaveConsent(ctx, store.Consent{Subject: "a", ClientID: "app", ExpiresAt: epoch.Add(time.Minute)}), ErrNotReplicated)
	assert.ErrorIs(t, s.DeleteConsent(ctx, "a", "app"), ErrNotReplicated)
	assert.ErrorIs(t, s.RevokeGrant(ctx, "g"), ErrNotReplicated)
	assert.NoError(t, s.RevokeGrant(ctx, "g"), "revoking a revoked grant changes nothing")
}

// TestWaitWithoutReplicas runs every write against a single node, which
// has no replica, with WaitReplicas 1: WAIT times out with zero
// acknowledgements.
func TestWaitWithoutReplicas(t *testing.T) {
	s := newStoreOn(t, singleClient(t), Options{WaitReplicas: 1, WaitTimeout: 5 * time.Millisecond})
	s.now = newClock(epoch).now
	checkNotReplicated(t, s)
}

// TestWaitWithoutReplicasCluster is TestWaitWithoutReplicas on the
// cluster, whose primaries have no replicas: each WAIT goes to the primary
// of the written key's slot.
func TestWaitWithoutReplicasCluster(t *testing.T) {
	s := newStoreOn(t, clusterClient(t), Options{WaitReplicas: 1, WaitTimeout: 5 * time.Millisecond})
	s.now = newClock(epoch).now
	checkNotReplicated(t, s)
}

// startReplicated starts a primary and a replica of it, killed when t
// ends, and returns clients of both once the replica is in sync.
func startReplicated(t *testing.T) (primary, replica *goredis.Client) {
	t.Helper()
	needRedis(t)
	dir := t.TempDir()
	p, err := startFree(dir, false)
	require.NoError(t, err)
	t.Cleanup(p.kill)
	r, err := startFree(dir, false, "--replicaof", "127.0.0.1", p.addrPort())
	require.NoError(t, err)
	t.Cleanup(r.kill)
	primary = goredis.NewClient(&goredis.Options{Addr: p.addr()})
	replica = goredis.NewClient(&goredis.Options{Addr: r.addr()})
	t.Cleanup(func() { primary.Close(); replica.Close() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := replica.Info(t.Context(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return primary, replica
		}
		require.True(t, time.Now().Before(deadline), "replica not in sync within 30s: %v\n%s", err, info)
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWaitForReplica checks that with WaitReplicas 1 every write has
// reached the replica when the method returns: the replica, read directly,
// holds what the primary acknowledged.
func TestWaitForReplica(t *testing.T) {
	primary, replica := startReplicated(t)
	s := newStoreOn(t, primary, Options{WaitReplicas: 1, WaitTimeout: 2 * time.Second})
	s.now = newClock(epoch).now
	ctx := t.Context()
	require.NoError(t, s.SaveGrant(ctx, testGrant("g", "r1")))
	_, err := s.RotateRefreshToken(ctx, "g", "r1", store.RefreshState{Hash: "r2", IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour)})
	require.NoError(t, err)
	require.NoError(t, s.SaveCode(ctx, testCode("c", "g")))
	_, err = s.ConsumeCode(ctx, "g", "c")
	require.NoError(t, err)
	require.NoError(t, s.UseOnce(ctx, "jti", epoch.Add(time.Minute)))

	refreshHash, err := replica.HGet(ctx, s.grantKey("g"), "r").Result()
	require.NoError(t, err)
	assert.Equal(t, "r2", refreshHash, "the rotation reached the replica")
	used, err := replica.HGet(ctx, s.codeKey("g", "c"), "u").Result()
	require.NoError(t, err)
	assert.Equal(t, "1", used, "the consumption reached the replica")
	n, err := replica.Exists(ctx, s.onceKey("jti")).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "the use-once key reached the replica")

	// A store on the replica (as after a failover) sees all of it.
	promoted := newStoreOn(t, replica, Options{KeyPrefix: s.prefix})
	promoted.now = s.now
	_, err = promoted.RotateRefreshToken(ctx, "g", "r1", store.RefreshState{Hash: "x", IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour)})
	assert.ErrorIs(t, err, store.ErrReused)
	_, err = promoted.Code(ctx, "g", "c")
	assert.ErrorIs(t, err, store.ErrReused)
}

// TestConformanceWithReplica runs the conformance suite through the
// waiting path: every write is a pipeline of the script and WAIT on the
// primary, which the replica must acknowledge.
func TestConformanceWithReplica(t *testing.T) {
	primary, _ := startReplicated(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return newStoreOn(t, primary, Options{WaitReplicas: 1, WaitTimeout: 2 * time.Second})
	})
}
