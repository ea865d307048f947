package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// schemaFS holds the migrations, one file per schema version, named
// NNNN_description.sql. They run in version order, each once.
//
//go:embed schema/*.sql
var schemaFS embed.FS

// migrationLock is the key of the transaction-level advisory lock that keeps
// two processes from migrating at the same time. It is the first eight bytes
// of SHA-256("kunci/store/postgres") read as a big-endian two's-complement int64.
const migrationLock int64 = -0x1947507c6bce5290

// migration is one schema version read from schemaFS.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(schemaFS, "schema/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration %q: name must start with a positive version and '_'", base)
		}
		body, err := schemaFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(body)})
	}
	if len(out) == 0 {
		return nil, errors.New("postgres: no migrations embedded")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("postgres: migrations %q and %q share a version", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// Migrate creates the Store's tables, or brings them up to the version this
// package expects. It is idempotent and safe to call from several processes
// at once: it takes a transaction-level advisory lock, records each applied
// version in kunci_schema_migrations, and applies the missing versions in
// one transaction, so a failure leaves the schema as it was.
//
// The tables go into the first schema of the connection's search_path.
func (s *Store) Migrate(ctx context.Context) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS kunci_schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create kunci_schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM kunci_schema_migrations").Scan(&current); err != nil {
			return fmt.Errorf("read version: %w", err)
		}
		if latest := all[len(all)-1].version; current > latest {
			return fmt.Errorf("schema version %d is newer than this package's %d", current, latest)
		}
		for _, m := range all {
			if m.version <= current {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("apply %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO kunci_schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return fmt.Errorf("record %s: %w", m.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}
