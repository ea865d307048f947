package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kunci/kunci/store"
)

// codeColumns are the columns scanCode reads, in its order.
const codeColumns = `grant_id, hash, client_id, redirect_uri, code_challenge, code_challenge_method,
	issued_at, expires_at`

// scanCode reads codeColumns, then extra, from row.
func scanCode(row pgx.Row, extra ...any) (store.AuthCode, error) {
	var c store.AuthCode
	var issuedAt *time.Time
	dest := []any{&c.GrantID, &c.Hash, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &c.CodeChallengeMethod,
		&issuedAt, &c.ExpiresAt}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return store.AuthCode{}, err
	}
	c.IssuedAt = fromNull(issuedAt)
	return c, nil
}

// liveCode is the condition under which the code row c may be read at $3:
// it has not expired and its grant is live. $1 and $2 are the grant ID and
// hash.
const liveCode = `c.grant_id = $1 AND c.hash = $2 AND c.expires_at > $3
	AND EXISTS (SELECT 1 FROM kunci_grants g WHERE g.id = c.grant_id AND ` + liveGrant + `$3)`

// SaveCode implements [store.CodeStore] (RFC 6749 §4.1.2). One statement
// reads the grant, inserts the code only if the grant is live and outlives
// it, and reports which of the conditions held; a code of the same grant
// and hash is replaced only if it has expired.
func (s *Store) SaveCode(ctx context.Context, c store.AuthCode) error {
	const op = "save code"
	if c.Hash == "" || c.GrantID == "" {
		return invalid(op, "code without hash or grant")
	}
	now := s.now()
	if err := checkExpiry(op, c.ExpiresAt, now); err != nil {
		return err
	}
	var live, fits, saved bool
	err := s.pool.QueryRow(ctx, `
		WITH g AS (
		    SELECT g.expires_at FROM kunci_grants g WHERE g.id = $1 AND `+liveGrant+`$9
		), ins AS (
		    INSERT INTO kunci_codes (`+codeColumns+`)
		    SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::timestamptz, $8::timestamptz
		    FROM g WHERE $8 <= g.expires_at
		    ON CONFLICT (grant_id, hash) DO UPDATE SET
		           client_id = EXCLUDED.client_id, redirect_uri = EXCLUDED.redirect_uri,
		           code_challenge = EXCLUDED.code_challenge,
		           code_challenge_method = EXCLUDED.code_challenge_method,
		           issued_at = EXCLUDED.issued_at, expires_at = EXCLUDED.expires_at, consumed_at = NULL
		    WHERE kunci_codes.expires_at <= $9
		    RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM g), EXISTS (SELECT 1 FROM g WHERE $8 <= g.expires_at), EXISTS (SELECT 1 FROM ins)`,
		c.GrantID, c.Hash, c.ClientID, c.RedirectURI, c.CodeChallenge, c.CodeChallengeMethod,
		nullTime(c.IssuedAt), c.ExpiresAt, now).Scan(&live, &fits, &saved)
	switch {
	case err != nil:
		return wrap(op, err)
	case !live:
		return fmt.Errorf("postgres: %s: %w: grant of the code", op, store.ErrNotFound)
	case !fits:
		return invalid(op, "code outlives its grant")
	case !saved:
		return fmt.Errorf("postgres: %s: %w", op, store.ErrAlreadyExists)
	}
	return nil
}

// Code implements [store.CodeStore]: one read, which consumes nothing.
func (s *Store) Code(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	var consumed bool
	c, err := scanCode(s.pool.QueryRow(ctx,
		`SELECT `+codeColumns+`, c.consumed_at IS NOT NULL FROM kunci_codes c WHERE `+liveCode,
		grantID, hash, s.now()), &consumed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.AuthCode{}, notFound("code")
	case err != nil:
		return store.AuthCode{}, wrap("code", err)
	case consumed:
		return c, reused("code")
	}
	return c, nil
}

// ConsumeCode implements [store.CodeStore] in one statement: cur locks the
// live code's row (FOR UPDATE waits for a concurrent consumer to commit,
// then reads the row as it left it), and upd marks it consumed only if no
// one has. Exactly one of concurrent callers finds it unconsumed; the
// others get it with [store.ErrReused] (RFC 6749 §4.1.2).
func (s *Store) ConsumeCode(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	const op = "consume code"
	var consumed, marked bool
	c, err := scanCode(s.pool.QueryRow(ctx, `
		WITH cur AS (
		    SELECT `+codeColumns+`, c.consumed_at IS NOT NULL AS consumed
		    FROM kunci_codes c WHERE `+liveCode+`
		    FOR UPDATE OF c
		), upd AS (
		    UPDATE kunci_codes c SET consumed_at = $3 FROM cur
		    WHERE c.grant_id = cur.grant_id AND c.hash = cur.hash AND NOT cur.consumed
		    RETURNING 1
		)
		SELECT `+codeColumns+`, consumed, EXISTS (SELECT 1 FROM upd) FROM cur`,
		grantID, hash, s.now()), &consumed, &marked)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.AuthCode{}, notFound(op)
	case err != nil:
		return store.AuthCode{}, wrap(op, err)
	case consumed:
		return c, reused(op)
	case !marked:
		return store.AuthCode{}, fmt.Errorf("postgres: %s: a locked unconsumed code was not marked", op)
	}
	return c, nil
}
