package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kunci/kunci/store"
	"github.com/kunci/kunci/storetest/durability"
)

// The app process of TestDurabilityAfterAppSIGKILL and of its
// WithGracePeriod variant is this test binary run again with appEnv set:
// TestMain then serves an authorization server over the PostgreSQL store
// (durability.ServeApp) instead of running tests, until it is killed.

// appEnv names the environment variable that makes the test binary an app
// process; it holds the connection string of the database to serve from.
const appEnv = "KUNCI_DURABILITY_APP"

// appName is the application_name under which the app process with the
// given process ID connects to PostgreSQL.
func appName(pid int) string { return "kunci-durability-app-" + strconv.Itoa(pid) }

// serveApp is the app process: it serves durability.Config over the store
// at conn, its connections named appName, and returns an exit code only if
// it cannot start or stops serving.
func serveApp(conn string) int {
	return durability.ServeApp(func() (store.Store, func(), error) {
		cfg, err := pgxpool.ParseConfig(conn)
		if err != nil {
			return nil, nil, fmt.Errorf("connection string: %w", err)
		}
		cfg.ConnConfig.RuntimeParams["application_name"] = appName(os.Getpid())
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("connect: %w", err)
		}
		return New(pool), pool.Close, nil
	})
}

// crashApp kills app with SIGKILL and then waits until PostgreSQL, as
// pool sees it, has no backend of the app left. A backend that was running
// a statement of the app when it died finishes it (a rotation is one
// statement, committed on its own) and exits once it reads the end of its
// connection, so from then on nothing the dead app sent can still change a
// grant. The deadline only keeps a broken run from hanging.
func crashApp(ctx context.Context, app *durability.App, pool *pgxpool.Pool) error {
	name := appName(app.Pid())
	backends := func() (int, error) {
		var n int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, name).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("pg_stat_activity: %w", err)
		}
		return n, nil
	}
	// Killed in the middle of the load, the app has backends; without them
	// the wait below would prove nothing.
	n, err := backends()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("postgres lists no backend of the app %s before the kill", name)
	}
	if err := app.Kill(); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := backends()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres still lists %d backends of the killed app %s after 30s", n, name)
		}
		time.Sleep(time.Millisecond)
	}
}
