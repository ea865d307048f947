package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kunci/kunci/store"
)

// Store is a [store.Store] kept in PostgreSQL through a pgx connection pool.
// Make one with [New] and create its tables with [Store.Migrate].
type Store struct {
	pool *pgxpool.Pool
	// now is the clock every expiry check uses; time.Now outside tests.
	now func() time.Time
}

// New returns a Store that keeps its records in the database pool connects
// to. It runs no query: call [Store.Migrate] before first use. The pool stays
// the caller's to close.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, now: time.Now}
}

var _ store.Store = (*Store)(nil)

// uniqueViolation is PostgreSQL's SQLSTATE for a duplicate key.
const uniqueViolation = "23505"

// wrap turns a database error into the error a Store method returns: a unique
// violation becomes [store.ErrAlreadyExists], anything else is wrapped with
// the operation's name.
func wrap(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case uniqueViolation:
			return fmt.Errorf("postgres: %s: %w", op, store.ErrAlreadyExists)
		case badCharacter, untranslatable:
			// Text the database cannot hold (a NUL byte, say) can name no
			// stored record: the input is invalid, the database is fine.
			return fmt.Errorf("postgres: %s: %w: text the database cannot store", op, store.ErrInvalid)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// SQLSTATEs of text PostgreSQL cannot store.
const (
	badCharacter   = "22021" // character_not_in_repertoire, e.g. a NUL byte
	untranslatable = "22P05" // untranslatable_character
)

// checkExpiry refuses a record that would be unreadable as soon as it is
// saved (see [store.ErrExpired]). It judges expiresAt at the microsecond
// precision the database keeps, as reads do.
func checkExpiry(op string, expiresAt, now time.Time) error {
	if expiresAt.IsZero() {
		return fmt.Errorf("postgres: %s: %w: no expiry", op, store.ErrExpired)
	}
	if !expiresAt.Truncate(time.Microsecond).After(now) {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrExpired)
	}
	return nil
}

// notFound is the error of a read that matched no live row.
func notFound(op string) error {
	return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
}

// nullTime maps the zero time to NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// fromNull maps NULL back to the zero time.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// nullText maps "" to NULL, for references that may name no row.
func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// invalid is the error of a record or argument that breaks the contract.
func invalid(op, why string) error {
	return fmt.Errorf("postgres: %s: %w: %s", op, store.ErrInvalid, why)
}

// reused is the error that comes with the record of a consumed code, the
// grant of a refresh token that is not its current one, or a used key.
func reused(op string) error {
	return fmt.Errorf("postgres: %s: %w", op, store.ErrReused)
}
