package postgres

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMigrateIsIdempotent(t *testing.T) {
	s := newTestStore(t) // migrated once
	ctx := t.Context()
	require.NoError(t, s.Migrate(ctx))

	var versions []int
	rows, err := s.pool.Query(ctx, "SELECT version FROM kunci_schema_migrations ORDER BY version")
	require.NoError(t, err)
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	require.NoError(t, rows.Err())
	all, err := migrations()
	require.NoError(t, err)
	want := make([]int, len(all))
	for i, m := range all {
		want[i] = m.version
	}
	assert.Equal(t, want, versions)
}

func TestMigrateConcurrent(t *testing.T) {
	pool := newTestPool(t)
	const n = 4
	start := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		go func() {
			<-start
			errs <- New(pool).Migrate(context.Background())
		}()
	}
	close(start)
	for range n {
		assert.NoError(t, <-errs)
	}
	var count int
	require.NoError(t, pool.QueryRow(t.Context(), "SELECT count(*) FROM kunci_schema_migrations").Scan(&count))
	all, err := migrations()
	require.NoError(t, err)
	assert.Equal(t, len(all), count, "each migration is recorded exactly once")
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	_, err := s.pool.Exec(ctx, "INSERT INTO kunci_schema_migrations (version, name) VALUES (9999, '9999_future.sql')")
	require.NoError(t, err)
	err = s.Migrate(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "newer than this package")
}
