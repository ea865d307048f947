package postgres_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store/postgres"
)

// An application opens a pool, migrates the schema once at start-up and
// hands the store to the authorization server; a purger removes expired
// rows. This is the README's snippet; it needs a database, so it is
// compiled but not run.
func Example() {
	ctx := context.Background()
	logger := slog.Default()
	run := func() error {
		pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
		if err != nil {
			return err
		}
		defer pool.Close()

		s := postgres.New(pool)                // runs no query
		if err := s.Migrate(ctx); err != nil { // creates or upgrades the tables
			return err
		}
		stop := s.StartPurger(ctx, 10*time.Minute, logger) // optional
		defer stop()

		srv, err := authserver.New(authserver.Config{Issuer: "https://auth.example.com"}, s)
		if err != nil {
			return err
		}
		_ = srv // mount srv on the application's mux
		return nil
	}
	_ = run
}
