package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kunci/kunci/store"
)

// codeColumns are the columns scanCode reads, in its order.
const codeColumns = `hash, grant_id, client_id, subject, redirect_uri, scopes, resources,
	code_challenge, code_challenge_method, auth_time, issued_at, expires_at`

// scanCode reads codeColumns from row.
func scanCode(row pgx.Row, extra ...any) (store.AuthCode, error) {
	var c store.AuthCode
	var authTime, issuedAt *time.Time
	dest := []any{&c.Hash, &c.GrantID, &c.ClientID, &c.Subject, &c.RedirectURI, &c.Scopes, &c.Resources,
		&c.CodeChallenge, &c.CodeChallengeMethod, &authTime, &issuedAt, &c.ExpiresAt}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return store.AuthCode{}, err
	}
	c.AuthTime, c.IssuedAt = fromNull(authTime), fromNull(issuedAt)
	return c, nil
}

// SaveCode implements [store.CodeStore] (RFC 6749 §4.1.2).
func (s *Store) SaveCode(ctx context.Context, c store.AuthCode) error {
	if err := checkExpiry("save code", c.ExpiresAt, s.now()); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO kunci_codes (`+codeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.Hash, c.GrantID, c.ClientID, c.Subject, c.RedirectURI, c.Scopes, c.Resources,
		c.CodeChallenge, c.CodeChallengeMethod, nullTime(c.AuthTime), nullTime(c.IssuedAt), c.ExpiresAt)
	if err != nil {
		return wrap("save code", err)
	}
	return nil
}

// ConsumeCode implements [store.CodeStore]. One UPDATE … RETURNING marks the
// code consumed only if it is live, unconsumed and its grant not revoked;
// PostgreSQL re-checks that condition after waiting for a concurrent
// caller's row lock, so exactly one caller gets the record with a nil error.
// When the UPDATE matches nothing, a second query tells a consumed code
// ([store.ErrReused], RFC 6749 §4.1.2) from an unknown one.
func (s *Store) ConsumeCode(ctx context.Context, hash string) (store.AuthCode, error) {
	now := s.now()
	c, err := scanCode(s.pool.QueryRow(ctx, `
		UPDATE kunci_codes c SET consumed_at = $2
		WHERE c.hash = $1 AND c.consumed_at IS NULL AND c.expires_at > $2
		  AND NOT EXISTS (SELECT 1 FROM kunci_revoked_grants g WHERE g.grant_id = c.grant_id)
		RETURNING `+codeColumns, hash, now))
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return store.AuthCode{}, wrap("consume code", err)
	}
	var consumed bool
	c, err = scanCode(s.pool.QueryRow(ctx, `
		SELECT `+codeColumns+`, c.consumed_at IS NOT NULL FROM kunci_codes c
		WHERE c.hash = $1 AND c.expires_at > $2
		  AND NOT EXISTS (SELECT 1 FROM kunci_revoked_grants g WHERE g.grant_id = c.grant_id)`,
		hash, now), &consumed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.AuthCode{}, notFound("consume code")
	case err != nil:
		return store.AuthCode{}, wrap("consume code", err)
	case !consumed:
		// Saved between the two queries: it was not live when the UPDATE
		// ran, so this call did not consume it.
		return store.AuthCode{}, notFound("consume code")
	}
	return c, reused("consume code")
}
