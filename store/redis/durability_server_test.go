package redis

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// Durability, proven (issue 14), through the authorization server. Clients
// rotate refresh tokens (RFC 6749 §6) through the real token endpoint of an
// authserver over this store while redis-server, running with appendonly
// yes and appendfsync always, or the app process is killed with SIGKILL and
// started again on the same data. Afterwards every refresh token a client
// received in a 200 response still works exactly once: none was lost, and
// none is usable twice. The rules are those of store/postgres's durability
// tests.
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

const (
	durableChains   = 200 // refresh chains, one grant each
	durableWorkers  = 4   // clients rotating at once
	durableClientID = "durable-app"
	durableSecret   = "durable-app-secret-0123456789"
)

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
	durabilityAfterRedisSIGKILL(t, graceRotation())
}

func durabilityAfterRedisSIGKILL(t *testing.T, rotation authserver.RefreshRotation) {
	r := startDurableRedis(t)
	// The app's client keeps go-redis's defaults, retries included, as a
	// host's would.
	appClient := goredis.NewClient(&goredis.Options{Addr: r.addr()})
	t.Cleanup(func() { _ = appClient.Close() })
	st, err := New(appClient, Options{})
	require.NoError(t, err)
	srv, err := authserver.New(durabilityConfig(nil, rotation), st)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	inspector := inspectorClient(t, r)
	runDurability(t, durabilityCase{
		srv:    srv,
		grants: inspector.store,
		url:    ts.URL,
		grace:  rotation.GracePeriod > 0,
		kill: func() error {
			r.kill() // SIGKILL, then waits until the process is gone
			return nil
		},
		restart: func() (string, error) {
			if err := r.start(); err != nil {
				return "", err
			}
			return ts.URL, checkDurableSettings(t.Context(), r.addr())
		},
		appSurvives: true,
	})
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
	durabilityAfterAppSIGKILLOnRedis(t, graceRotation())
}

func durabilityAfterAppSIGKILLOnRedis(t *testing.T, rotation authserver.RefreshRotation) {
	r := startDurableRedis(t)
	inspector := inspectorClient(t, r)
	// This in-process instance only registers the client and issues the
	// first tokens, as a host's own handler would.
	srv, err := authserver.New(durabilityConfig(nil, rotation), inspector.store)
	require.NoError(t, err)

	var logs []string // the apps' standard error
	start := func() (*appProcess, error) {
		logs = append(logs, filepath.Join(t.TempDir(), fmt.Sprintf("app-%d.log", len(logs)+1)))
		app, err := startApp(r.addr(), rotation, logs[len(logs)-1])
		if err == nil {
			t.Cleanup(func() { _ = app.stop() })
		}
		return app, err
	}
	app, err := start()
	require.NoError(t, err)

	runDurability(t, durabilityCase{
		srv:    srv,
		grants: inspector.store,
		url:    app.url,
		grace:  rotation.GracePeriod > 0,
		kill: func() error {
			return app.crash(t.Context(), inspector.client)
		},
		restart: func() (string, error) {
			next, err := start()
			if err != nil {
				return "", err
			}
			return next.url, nil
		},
	})
	// Under -race the apps are instrumented too, and report to their logs.
	for _, path := range logs {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NotContains(t, string(raw), "DATA RACE", path)
		assert.NotContains(t, string(raw), "panic:", path)
	}
}

// durabilityConfig is the authorization server of the durability tests:
// the refresh_token grant (RFC 6749 §6), rotated as rotation says. Its zero
// value is strict rotation, no grace period, so that presenting a rotated
// refresh token again revokes its grant (RFC 9700 §4.14.2).
func durabilityConfig(logger *slog.Logger, rotation authserver.RefreshRotation) authserver.Config {
	return authserver.Config{
		Issuer:          "https://auth.example.com",
		Scopes:          []authserver.Scope{{Name: "basic_info", Description: "Read your name and email"}},
		Grants:          []authserver.GrantType{authserver.GrantRefreshToken},
		RefreshRotation: rotation,
		Logger:          logger,
	}
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

// durabilityCase is what differs between the durability tests.
type durabilityCase struct {
	srv    *authserver.Server // registers the client and issues the first tokens
	grants *Store             // reads grants, on the test's own client
	url    string             // base URL of the app serving the token endpoint
	// grace says the apps rotate with a grace period, and a key shared by
	// all of them.
	grace bool
	// kill kills a process with SIGKILL and returns once it is gone and
	// nothing it sent can still change a grant; restart starts it again and
	// returns the app's base URL.
	kill    func() error
	restart func() (string, error)
	// appSurvives says the app process lives throughout, so every request
	// must get an HTTP response.
	appSurvives bool
}

// runDurability issues the chains, runs the load across a kill and a
// restart, and checks every chain.
func runDurability(t *testing.T, c durabilityCase) {
	ctx := t.Context()
	require.NoError(t, c.srv.RegisterClient(ctx, authserver.Client{
		ID: durableClientID, Secret: durableSecret,
		GrantTypes: []authserver.GrantType{authserver.GrantRefreshToken}, Scopes: []string{"basic_info"},
	}))
	chains := make([]*refreshChain, durableChains)
	for i := range chains {
		it, err := c.srv.IssueToken(ctx, authserver.TokenRequest{
			ClientID: durableClientID, Subject: fmt.Sprintf("user-%d", i), Scopes: []string{"basic_info"}, Refresh: true,
		})
		require.NoError(t, err)
		chains[i] = &refreshChain{id: i, grantID: it.GrantID, token: it.RefreshToken}
	}

	killAt := int64(100 + rand.IntN(400))
	l := newRotationLoad(c.url, c.grants, chains, killAt, c.grace)
	t.Cleanup(l.halt)
	l.start(ctx)
	l.await(t, l.killPoint, "the kill point")
	require.NoError(t, c.kill())
	l.phase.Store(phaseDown)
	l.await(t, l.down.done(), "every worker to fail while it is down")
	base, err := c.restart()
	require.NoError(t, err)
	l.url.Store(&base)
	l.phase.Store(phaseUp)
	l.await(t, l.up.done(), "every worker to rotate after the restart")
	l.halt()

	assert.Empty(t, l.violations, "during the load")
	if c.appSurvives {
		assert.Zero(t, l.outcomes[transportError], "requests the living app did not answer")
	}

	strict, refused := 0, 0
	for _, ch := range chains {
		switch {
		case ch.broken:
			// Already a violation.
		case ch.refused:
			refused++
			o := l.rotate(ctx, ch.token)
			assert.Equal(t, kindRefused, o.kind, "chain %d: a refused token again: %s", ch.id, o.detail)
			// The grant as read before the refused retry: one rotation
			// more than its client saw, the last one retiring the
			// client's token.
			if assert.True(t, ch.inspected, "chain %d: refused without its grant read first", ch.id) {
				assert.Equal(t, ch.rotations+1, ch.seen.RefreshCount,
					"chain %d: refused after a request with an unknown outcome, which must have rotated it", ch.id)
				assert.Equal(t, tokenHash(ch.token), ch.seen.PreviousRefreshHash,
					"chain %d: the rotation retired the client's token", ch.id)
			}
			_, err := c.grants.Grant(ctx, ch.grantID)
			assert.ErrorIs(t, err, store.ErrNotFound, "chain %d: the reuse revoked the grant", ch.id)
			revoked, err := c.grants.rdb.HExists(ctx, c.grants.grantKey(ch.grantID), "x").Result()
			if assert.NoError(t, err, "chain %d: its grant", ch.id) {
				assert.True(t, revoked, "chain %d: the grant is a tombstone, not gone", ch.id)
			}
		default:
			strict++
			// The grant holds the client's token after exactly the
			// rotations the client saw: a rotation whose response was
			// lost was either not applied or answered again.
			g, err := c.grants.Grant(ctx, ch.grantID)
			if assert.NoError(t, err, "chain %d: its grant", ch.id) {
				assert.Equal(t, tokenHash(ch.token), g.RefreshHash, "chain %d: the grant's refresh token is the client's", ch.id)
				assert.Equal(t, ch.rotations, g.RefreshCount, "chain %d: rotations", ch.id)
			}
			checkLastToken(t, l, ch, c.grace)
		}
	}
	t.Logf("killed after %d rotations; %d in all; responses %v; %d retries answered after a rotation whose response was lost; %d chains checked strictly, %d refused after an unknown outcome",
		killAt, l.answered.Load(), l.outcomes, l.recovered.Load(), strict, refused)
	if c.grace {
		assert.Zero(t, refused, "chains refused with a grace period")
	} else {
		assert.LessOrEqual(t, refused, durableWorkers, "chains refused after an unknown outcome")
	}
	assert.Equal(t, durableChains, strict+refused, "chains checked")
}

// checkLastToken checks that ch's token, the refresh token of its last 200
// response, works exactly once. With strict rotation it is answered once
// and then refused. With a grace period, presenting it again within the
// period is answered with the identical successor, the rotation being
// idempotent; the successor then works, after which the token is a reuse,
// refused, and revokes the grant.
func checkLastToken(t *testing.T, l *rotationLoad, ch *refreshChain, grace bool) {
	t.Helper()
	ctx := t.Context()
	first := l.rotate(ctx, ch.token)
	if !assert.Equal(t, kindAnswered, first.kind, "chain %d after %d rotations: its last refresh token: %s",
		ch.id, ch.rotations, first.detail) {
		return
	}
	if !grace {
		second := l.rotate(ctx, ch.token)
		assert.Equal(t, kindRefused, second.kind, "chain %d: its last refresh token used twice: %s", ch.id, second.detail)
		return
	}
	again := l.rotate(ctx, ch.token)
	if !assert.Equal(t, kindAnswered, again.kind, "chain %d: its last refresh token again within the grace period: %s", ch.id, again.detail) ||
		!assert.Equal(t, first.token, again.token, "chain %d: its last refresh token again: the successor", ch.id) {
		return
	}
	next := l.rotate(ctx, first.token)
	if !assert.Equal(t, kindAnswered, next.kind, "chain %d: the successor: %s", ch.id, next.detail) {
		return
	}
	old := l.rotate(ctx, ch.token)
	assert.Equal(t, kindRefused, old.kind, "chain %d: its last refresh token once its successor was used: %s", ch.id, old.detail)
	revoked := l.rotate(ctx, next.token)
	assert.Equal(t, kindRefused, revoked.kind, "chain %d: the successor's successor after the reuse: %s", ch.id, revoked.detail)
}
