package redis

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
	"github.com/kunci/kunci/storetest/durability"
)

// Durability, proven (issue 14), through the authorization server. Clients
// rotate refresh tokens (RFC 6749 §6) through the real token endpoint of an
// authserver over this store while redis-server, running with appendonly
// yes and appendfsync always, or the app process is killed with SIGKILL and
// started again on the same data. Afterwards every refresh token a client
// received in a 200 response still works exactly once: none was lost, and
// none is usable twice. The rules are storetest/durability's, shared with
// store/postgres's durability tests.
//
// A request that failed (a 5xx, or no response at all) has an unknown
// outcome: the rotation may have been applied before the response was lost.
// Its client keeps the token it has and retries, as a real client would,
// until it gets an answer. Either the rotation had not happened, and the
// retry rotates, or it had, and the retry presents a rotated token, which
// revokes the grant (RFC 9700 §4.14.2). A revoked grant keeps nothing in Redis but its tombstone, so the
// count of its rotations cannot be read afterwards, as PostgreSQL's test
// reads its row. Instead, once the killed process is gone, the test reads
// the grant before every retry of a request with an unknown outcome: it
// must hold either the client's token, after exactly the rotations the
// client saw, or that token's successor, after one more. The retry must
// then be answered in the first case and refused in the second.
//
// Each test has a WithGracePeriod variant that runs the same load with the
// rotation README.md recommends, a grace period (Config.RefreshRotation)
// whose key every instance shares. There the retry must be answered in both
// cases, in the second with the very successor the grant holds, so no chain
// may be refused; and presenting a token twice within the period must give
// the identical successor: the rotation is idempotent, not a second branch
// of the chain.

// The load and the checks common to every store are storetest/durability's;
// what is Redis's is how a process is killed and what its keys hold.

// TestDurabilityAfterRedisSIGKILLThroughServer kills a dedicated
// redis-server, running with appendonly yes and appendfsync always, with
// SIGKILL in the middle of refresh token rotations through an authserver in
// this process, and restarts it on the same data directory and port; the
// app and its Redis client live on.
func TestDurabilityAfterRedisSIGKILLThroughServer(t *testing.T) {
	durabilityAfterRedisSIGKILL(t, authserver.RefreshRotation{})
}

// TestDurabilityAfterRedisSIGKILLWithGracePeriod is
// TestDurabilityAfterRedisSIGKILLThroughServer with a grace period: no
// chain is lost.
func TestDurabilityAfterRedisSIGKILLWithGracePeriod(t *testing.T) {
	durabilityAfterRedisSIGKILL(t, durability.GraceRotation())
}

func durabilityAfterRedisSIGKILL(t *testing.T, rotation authserver.RefreshRotation) {
	r := startDurableRedis(t)
	// The app's client keeps go-redis's defaults, retries included, as a
	// host's would.
	appClient := goredis.NewClient(&goredis.Options{Addr: r.addr()})
	t.Cleanup(func() { _ = appClient.Close() })
	st, err := New(appClient, Options{})
	require.NoError(t, err)
	srv, err := authserver.New(durability.Config(nil, rotation), st)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	inspector := inspectorClient(t, r)
	durability.Run(t, durabilityCase(inspector.store, durability.Case{
		Server: srv,
		URL:    ts.URL,
		Grace:  rotation.GracePeriod > 0,
		Kill: func() error {
			r.kill() // SIGKILL, then waits until the process is gone
			return nil
		},
		Restart: func() (string, error) {
			if err := r.start(); err != nil {
				return "", err
			}
			return ts.URL, checkDurableSettings(t.Context(), r.addr())
		},
		AppSurvives: true,
	}))
}

// TestDurabilityAfterAppSIGKILLOnRedis kills the app process, an authserver
// over this store in a child process, with SIGKILL in the middle of refresh
// token rotations, and starts a new one on the same redis-server; the check
// runs through the new process.
func TestDurabilityAfterAppSIGKILLOnRedis(t *testing.T) {
	durabilityAfterAppSIGKILLOnRedis(t, authserver.RefreshRotation{})
}

// TestDurabilityAfterAppSIGKILLOnRedisWithGracePeriod is
// TestDurabilityAfterAppSIGKILLOnRedis with a grace period, the killed app
// and its replacement sharing the key: no chain is lost, although the retry
// of a response the killed app never sent is answered by the new one.
func TestDurabilityAfterAppSIGKILLOnRedisWithGracePeriod(t *testing.T) {
	durabilityAfterAppSIGKILLOnRedis(t, durability.GraceRotation())
}

func durabilityAfterAppSIGKILLOnRedis(t *testing.T, rotation authserver.RefreshRotation) {
	r := startDurableRedis(t)
	inspector := inspectorClient(t, r)
	// This in-process instance only registers the client and issues the
	// first tokens, as a host's own handler would.
	srv, err := authserver.New(durability.Config(nil, rotation), inspector.store)
	require.NoError(t, err)

	apps := durability.NewApps(t, []string{appEnv + "=" + r.addr()}, rotation, procAttr())
	app, err := apps.Start()
	require.NoError(t, err)

	durability.Run(t, durabilityCase(inspector.store, durability.Case{
		Server: srv,
		URL:    app.URL,
		Grace:  rotation.GracePeriod > 0,
		Kill: func() error {
			return crashApp(t.Context(), app, inspector.client)
		},
		Restart: func() (string, error) {
			next, err := apps.Start()
			if err != nil {
				return "", err
			}
			return next.URL, nil
		},
	}))
	apps.CheckLogs()
}

// startDurableRedis starts a redis-server of t's own with the settings
// README.md recommends, every write in the append-only file and fsynced
// before the reply, and checks that it runs with them.
func startDurableRedis(t *testing.T) *redisServer {
	t.Helper()
	needRedis(t)
	r, err := startFree(t.TempDir(), false, "--appendonly", "yes", "--appendfsync", "always")
	require.NoError(t, err)
	t.Cleanup(r.kill)
	require.NoError(t, checkDurableSettings(t.Context(), r.addr()))
	return r
}

// checkDurableSettings returns an error unless the server at addr runs with
// appendonly yes and appendfsync always. It asks on a connection of its own.
func checkDurableSettings(ctx context.Context, addr string) error {
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	defer c.Close()
	got, err := c.ConfigGet(ctx, "append*").Result()
	if err != nil {
		return fmt.Errorf("config get: %w", err)
	}
	if got["appendonly"] != "yes" || got["appendfsync"] != "always" {
		return fmt.Errorf("appendonly %q, appendfsync %q; want yes, always", got["appendonly"], got["appendfsync"])
	}
	return nil
}

// inspector is the test's own view of the Redis under test.
type inspector struct {
	client *goredis.Client
	store  *Store
}

// inspectorClient returns a client and a store of the test's own on r. The
// client neither retries commands nor dials twice, so that while r is down
// a read fails at once.
func inspectorClient(t *testing.T, r *redisServer) inspector {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: r.addr(), MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = c.Close() })
	s, err := New(c, Options{})
	require.NoError(t, err)
	return inspector{client: c, store: s}
}

// durabilityCase completes c with what is Redis's: the grants read through
// grants, a store on the test's own client, and the keys checked after the
// load.
func durabilityCase(grants *Store, c durability.Case) durability.Case {
	c.Grant = grants.Grant
	c.CheckHeld = func(t *testing.T, ch durability.ChainState) {
		g, err := grants.Grant(t.Context(), ch.GrantID)
		if assert.NoError(t, err, "chain %d: its grant", ch.ID) {
			assert.Equal(t, durability.TokenHash(ch.Token), g.RefreshHash, "chain %d: the grant's refresh token is the client's", ch.ID)
			assert.Equal(t, ch.Rotations, g.RefreshCount, "chain %d: rotations", ch.ID)
		}
	}
	c.CheckRevoked = func(t *testing.T, ch durability.ChainState) {
		ctx := t.Context()
		_, err := grants.Grant(ctx, ch.GrantID)
		assert.ErrorIs(t, err, store.ErrNotFound, "chain %d: the reuse revoked the grant", ch.ID)
		revoked, err := grants.rdb.HExists(ctx, grants.grantKey(ch.GrantID), "x").Result()
		if assert.NoError(t, err, "chain %d: its grant", ch.ID) {
			assert.True(t, revoked, "chain %d: the grant is a tombstone, not gone", ch.ID)
		}
	}
	return c
}
