package postgres

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/storetest/durability"
)

// Durability, proven (issue 14). Clients rotate refresh tokens (RFC 6749 §6)
// through the real token endpoint while the database server, or the app
// process, is killed with SIGKILL and started again on the same data.
// Afterwards every refresh token a client received in a 200 response still
// works exactly once: none was lost, and none is usable twice.
//
// A request that failed (a 5xx, or no response at all) has an unknown
// outcome: the rotation may have committed before the response was lost.
// Its client keeps the token it has and retries, as a real client would,
// until it gets an answer. Either the rotation had not happened, and the
// retry rotates, or it had, and the retry presents a rotated token, which
// revokes the grant (RFC 9700 §4.14.2). Once the killed process is gone,
// and nothing it sent can still change a grant, the test reads the grant
// before every retry of a request with an unknown outcome: it must hold
// either the client's token, after exactly the rotations the client saw, or
// that token's successor, after one more. The retry must then be answered
// in the first case and refused in the second.
//
// Each test has a WithGracePeriod variant that runs the same load with the
// rotation README.md recommends, a grace period (Config.RefreshRotation)
// whose key every instance shares. There the retry must be answered in both
// cases, in the second with the very successor the grant holds, so no chain
// may be refused; and presenting a token twice within the period must give
// the identical successor: the rotation is idempotent, not a second branch
// of the chain.

// The load and the checks common to every store are storetest/durability's;
// what is PostgreSQL's is how a process is killed and what its rows hold.

// TestDurabilityAfterPostgresSIGKILL kills a dedicated PostgreSQL server,
// running with its crash-safe defaults (fsync and synchronous_commit on),
// with SIGKILL in the middle of refresh token rotations, and restarts it on
// the same data directory and port; the app and its connection pool live on.
func TestDurabilityAfterPostgresSIGKILL(t *testing.T) {
	durabilityAfterPostgresSIGKILL(t, authserver.RefreshRotation{})
}

// TestDurabilityAfterPostgresSIGKILLWithGracePeriod is
// TestDurabilityAfterPostgresSIGKILL with a grace period: no chain is lost.
func TestDurabilityAfterPostgresSIGKILLWithGracePeriod(t *testing.T) {
	durabilityAfterPostgresSIGKILL(t, durability.GraceRotation())
}

func durabilityAfterPostgresSIGKILL(t *testing.T, rotation authserver.RefreshRotation) {
	if env.connString == "" {
		t.Skip(env.skip) // in CI, TestMain has already failed the run
	}
	pg, err := startServer(true)
	require.NoError(t, err)
	t.Cleanup(pg.stop)
	cfg, err := pgxpool.ParseConfig(pg.connString(testDatabase))
	require.NoError(t, err)
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var settings [2]string
	require.NoError(t, pool.QueryRow(t.Context(),
		`SELECT current_setting('fsync'), current_setting('synchronous_commit')`).Scan(&settings[0], &settings[1]))
	require.Equal(t, [2]string{"on", "on"}, settings, "fsync and synchronous_commit")

	st := New(pool)
	require.NoError(t, st.Migrate(t.Context()))
	srv, err := authserver.New(durability.Config(nil, rotation), st)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	durability.Run(t, durabilityCase(pool, durability.Case{
		Server: srv,
		URL:    ts.URL,
		Grace:  rotation.GracePeriod > 0,
		Kill:   pg.crash,
		Restart: func() (string, error) {
			return ts.URL, pg.restart()
		},
		AppSurvives: true,
	}))
}

// TestDurabilityAfterAppSIGKILL kills the app process, an authorization
// server over the PostgreSQL store in a child process, with SIGKILL in the
// middle of refresh token rotations, and starts a new one on the same
// database; the check runs through the new process.
func TestDurabilityAfterAppSIGKILL(t *testing.T) {
	durabilityAfterAppSIGKILL(t, authserver.RefreshRotation{})
}

// TestDurabilityAfterAppSIGKILLWithGracePeriod is
// TestDurabilityAfterAppSIGKILL with a grace period, the killed app and its
// replacement sharing the key: no chain is lost, although the retry of a
// response the killed app never sent is answered by the new one.
func TestDurabilityAfterAppSIGKILLWithGracePeriod(t *testing.T) {
	durabilityAfterAppSIGKILL(t, durability.GraceRotation())
}

func durabilityAfterAppSIGKILL(t *testing.T, rotation authserver.RefreshRotation) {
	pool := newTestPool(t)
	st := New(pool)
	require.NoError(t, st.Migrate(t.Context()))
	// This in-process instance only registers the client and issues the
	// first tokens, as a host's own handler would.
	srv, err := authserver.New(durability.Config(nil, rotation), st)
	require.NoError(t, err)
	conn := env.connString + "&search_path=" + url.QueryEscape(pool.Config().ConnConfig.RuntimeParams["search_path"])

	apps := durability.NewApps(t, []string{appEnv + "=" + conn}, rotation, procAttr(nil))
	app, err := apps.Start()
	require.NoError(t, err)

	durability.Run(t, durabilityCase(pool, durability.Case{
		Server: srv,
		URL:    app.URL,
		Grace:  rotation.GracePeriod > 0,
		Kill: func() error {
			return crashApp(t.Context(), app, pool)
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

// durabilityCase completes c with what is PostgreSQL's: the grants read on
// pool, the test's own connections or the app's, and the rows checked
// after the load.
func durabilityCase(pool *pgxpool.Pool, c durability.Case) durability.Case {
	c.Grant = New(pool).Grant
	c.CheckHeld = func(t *testing.T, ch durability.ChainState) {
		var hash string
		var count int64
		var revoked bool
		err := pool.QueryRow(t.Context(), `SELECT refresh_hash, refresh_count, revoked_at IS NOT NULL FROM kunci_grants WHERE id = $1`,
			ch.GrantID).Scan(&hash, &count, &revoked)
		if assert.NoError(t, err, "chain %d: its grant", ch.ID) {
			assert.Equal(t, durability.TokenHash(ch.Token), hash, "chain %d: the grant's refresh token is the client's", ch.ID)
			assert.Equal(t, int64(ch.Rotations), count, "chain %d: rotations", ch.ID)
			assert.False(t, revoked, "chain %d: revoked", ch.ID)
		}
	}
	c.CheckRevoked = func(t *testing.T, ch durability.ChainState) {
		var count int64
		var revoked bool
		err := pool.QueryRow(t.Context(), `SELECT refresh_count, revoked_at IS NOT NULL FROM kunci_grants WHERE id = $1`,
			ch.GrantID).Scan(&count, &revoked)
		if assert.NoError(t, err, "chain %d: its grant", ch.ID) {
			assert.Equal(t, int64(ch.Rotations+1), count,
				"chain %d: refused after a request with an unknown outcome, which must have rotated it", ch.ID)
			assert.True(t, revoked, "chain %d: the reuse revoked the grant", ch.ID)
		}
	}
	return c
}
