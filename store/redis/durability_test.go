package redis

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
)

// chain is what one client of TestDurabilityAfterRedisSIGKILL knows of its
// grant: every refresh token it received in a successful rotation, and
// the one it asked for when a rotation failed.
type chain struct {
	id        string
	acked     []string // the first refresh token, then every acknowledged successor
	pending   string   // the successor of the failed rotation
	err       error    // how the rotation failed
	afterKill bool     // whether it failed after the kill was sent
}

// TestDurabilityAfterRedisSIGKILL rotates the refresh tokens of many
// grants from concurrent clients against a redis-server with appendonly
// yes and appendfsync always, kills the server with SIGKILL in the middle
// of the load, restarts it on the same data directory, and checks that
// every rotation acknowledged as a success survived: the last token each
// client received works exactly once, and every token before it is a
// reuse. A rotation whose reply the kill cut off may or may not have
// happened; either way the grant holds one of the two tokens the client
// knows of, and nothing else.
func TestDurabilityAfterRedisSIGKILL(t *testing.T) {
	needRedis(t)
	const (
		grants    = 48
		killAfter = 3000 // acknowledged rotations before the kill
	)
	srv, err := startFree(t.TempDir(), false, "--appendonly", "yes", "--appendfsync", "always")
	require.NoError(t, err)
	t.Cleanup(srv.kill)
	// No retries: a rotation the kill interrupts fails at once.
	client := goredis.NewClient(&goredis.Options{Addr: srv.addr(), MaxRetries: -1, PoolSize: grants})
	t.Cleanup(func() { client.Close() })
	s, err := New(client, Options{})
	require.NoError(t, err)
	ctx := t.Context()

	now := time.Now()
	chains := make([]*chain, grants)
	for i := range chains {
		g := testGrant(fmt.Sprintf("durable-%d", i), fmt.Sprintf("r-%d-0", i))
		g.CreatedAt, g.ExpiresAt = now, now.Add(time.Hour)
		g.RefreshIssuedAt, g.RefreshExpiresAt = now, now.Add(time.Hour)
		require.NoError(t, s.SaveGrant(ctx, g))
		chains[i] = &chain{id: g.ID, acked: []string{g.RefreshHash}}
	}

	var acked atomic.Int64
	var killed atomic.Bool
	kill := make(chan struct{})
	var killOnce sync.Once
	var wg sync.WaitGroup
	for i, c := range chains {
		wg.Go(func() {
			for n := 1; ; n++ {
				next := store.RefreshState{Hash: fmt.Sprintf("r-%d-%d", i, n), IssuedAt: time.Now(), ExpiresAt: now.Add(time.Hour)}
				_, err := s.RotateRefreshToken(ctx, c.id, c.acked[len(c.acked)-1], next)
				if err != nil {
					c.pending, c.err, c.afterKill = next.Hash, err, killed.Load()
					return
				}
				c.acked = append(c.acked, next.Hash)
				if acked.Add(1) == killAfter {
					killOnce.Do(func() { close(kill) })
				}
			}
		})
	}
	<-kill
	killed.Store(true)
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGKILL))
	<-srv.exited
	srv.cmd = nil
	wg.Wait()
	require.NoError(t, srv.start(), "restart on the same data directory")

	appendonly, err := client.ConfigGet(ctx, "append*").Result()
	require.NoError(t, err)
	assert.Equal(t, "yes", appendonly["appendonly"])
	assert.Equal(t, "always", appendonly["appendfsync"])

	total, applied := 0, 0
	for _, c := range chains {
		require.True(t, c.afterKill, "%s: a rotation failed before the kill: %v", c.id, c.err)
		last := c.acked[len(c.acked)-1]
		total += len(c.acked) - 1
		g, err := s.Grant(ctx, c.id)
		require.NoError(t, err, c.id)
		fresh := store.RefreshState{Hash: "after-" + c.id, IssuedAt: time.Now(), ExpiresAt: now.Add(time.Hour)}
		again := store.RefreshState{Hash: "again-" + c.id, IssuedAt: time.Now(), ExpiresAt: now.Add(time.Hour)}
		current := last
		switch g.RefreshHash {
		case last:
			assert.Equal(t, len(c.acked)-1, g.RefreshCount, "%s: rotations", c.id)
		case c.pending:
			// The interrupted rotation was applied before its reply was
			// sent: the client's last token is now retired.
			applied++
			assert.Equal(t, len(c.acked), g.RefreshCount, "%s: rotations", c.id)
			_, err := s.RotateRefreshToken(ctx, c.id, last, fresh)
			assert.ErrorIs(t, err, store.ErrReused, "%s: the token retired by the interrupted rotation", c.id)
			current = c.pending
		default:
			t.Errorf("%s: refresh token %q is neither the last acknowledged %q nor the pending %q", c.id, g.RefreshHash, last, c.pending)
			continue
		}
		_, err = s.RotateRefreshToken(ctx, c.id, current, fresh)
		assert.NoError(t, err, "%s: the current token works", c.id)
		_, err = s.RotateRefreshToken(ctx, c.id, current, again)
		assert.ErrorIs(t, err, store.ErrReused, "%s: and only once", c.id)
		if len(c.acked) > 1 {
			_, err = s.RotateRefreshToken(ctx, c.id, c.acked[len(c.acked)-2], again)
			assert.ErrorIs(t, err, store.ErrReused, "%s: the token before the last is a reuse", c.id)
		}
	}
	assert.GreaterOrEqual(t, total, killAfter)
	t.Logf("%d acknowledged rotations of %d grants survived SIGKILL; %d interrupted rotations had been applied", total, grants, applied)
}
