package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kunci/kunci/store"
)

// accessColumns are the columns of kunci_access_tokens a save writes, in
// the order of accessValues.
const accessColumns = `hash, grant_id, client_id, subject, scopes, audience, claims, jkt, issued_at, expires_at`

func accessValues(t store.AccessToken) []any {
	return []any{t.Hash, nullText(t.GrantID), t.ClientID, t.Subject, t.Scopes, t.Audience, t.Claims, t.JKT,
		nullTime(t.IssuedAt), t.ExpiresAt}
}

// accessReplace replaces an access token row that has expired ($11 is
// now); a live one keeps its hash taken.
const accessReplace = `
	ON CONFLICT (hash) DO UPDATE SET
	       grant_id = EXCLUDED.grant_id, client_id = EXCLUDED.client_id, subject = EXCLUDED.subject,
	       scopes = EXCLUDED.scopes, audience = EXCLUDED.audience, claims = EXCLUDED.claims,
	       jkt = EXCLUDED.jkt, issued_at = EXCLUDED.issued_at, expires_at = EXCLUDED.expires_at
	WHERE kunci_access_tokens.expires_at <= $11`

// SaveAccessToken implements [store.AccessTokenStore] (RFC 6749 §1.4). A
// token of a grant is inserted by one statement that reads the grant, as
// SaveCode does; a token of no grant by a plain insert.
func (s *Store) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	const op = "save access token"
	if t.Hash == "" {
		return invalid(op, "access token without hash")
	}
	now := s.now()
	if err := checkExpiry(op, t.ExpiresAt, now); err != nil {
		return err
	}
	live, fits, saved := true, true, false
	args := append(accessValues(t), now)
	var err error
	if t.GrantID == "" {
		var tag pgconn.CommandTag
		tag, err = s.pool.Exec(ctx,
			`INSERT INTO kunci_access_tokens (`+accessColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`+accessReplace,
			args...)
		saved = err == nil && tag.RowsAffected() == 1
	} else {
		err = s.pool.QueryRow(ctx, `
			WITH g AS (
			    SELECT g.expires_at FROM kunci_grants g WHERE g.id = $2 AND `+liveGrant+`$11
			), ins AS (
			    INSERT INTO kunci_access_tokens (`+accessColumns+`)
			    SELECT $1::text, $2::text, $3::text, $4::text, $5::text[], $6::text[], $7::bytea, $8::text,
			           $9::timestamptz, $10::timestamptz
			    FROM g WHERE $10 <= g.expires_at`+accessReplace+`
			    RETURNING 1
			)
			SELECT EXISTS (SELECT 1 FROM g), EXISTS (SELECT 1 FROM g WHERE $10 <= g.expires_at), EXISTS (SELECT 1 FROM ins)`,
			args...).Scan(&live, &fits, &saved)
	}
	switch {
	case err != nil:
		return wrap(op, err)
	case !live:
		return fmt.Errorf("postgres: %s: %w: grant of the access token", op, store.ErrNotFound)
	case !fits:
		return invalid(op, "access token outlives its grant")
	case !saved:
		return fmt.Errorf("postgres: %s: %w", op, store.ErrAlreadyExists)
	}
	return nil
}

// AccessToken implements [store.AccessTokenStore]: one indexed lookup that
// also checks the token's expiry and its grant.
func (s *Store) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	t := store.AccessToken{Hash: hash}
	var grantID *string
	var issuedAt *time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT a.grant_id, a.client_id, a.subject, a.scopes, a.audience, a.claims, a.jkt, a.issued_at, a.expires_at
		FROM kunci_access_tokens a
		WHERE a.hash = $1 AND a.expires_at > $2
		  AND (a.grant_id IS NULL OR EXISTS (
		      SELECT 1 FROM kunci_grants g WHERE g.id = a.grant_id AND `+liveGrant+`$2))`,
		hash, s.now()).Scan(
		&grantID, &t.ClientID, &t.Subject, &t.Scopes, &t.Audience, &t.Claims, &t.JKT, &issuedAt, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AccessToken{}, notFound("access token")
	}
	if err != nil {
		return store.AccessToken{}, wrap("access token", err)
	}
	if grantID != nil {
		t.GrantID = *grantID
	}
	t.IssuedAt = fromNull(issuedAt)
	return t, nil
}

// DeleteAccessToken implements [store.AccessTokenStore]. An unknown hash is
// not an error (RFC 7009 §2.2).
func (s *Store) DeleteAccessToken(ctx context.Context, hash string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM kunci_access_tokens WHERE hash = $1`, hash); err != nil {
		return wrap("delete access token", err)
	}
	return nil
}
