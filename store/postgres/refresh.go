package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kunci/kunci/store"
)

// refreshColumns are the columns scanRefresh reads, in its order.
const refreshColumns = `hash, grant_id, client_id, subject, scopes, audience, refresh_count,
	auth_time, issued_at, expires_at, rotated_at, successor_hash`

// refreshReadable is the condition under which the refresh token row t may
// be returned, given the current time as $2: its grant is not revoked, and
// either it is live (not rotated, not expired) or it was rotated and some
// code, access token or live refresh token of its grant has not expired
// (RFC 9700 §4.14.2). Access tokens never have rotated_at set, so one EXISTS
// covers both kinds of token.
const refreshReadable = `
	NOT EXISTS (SELECT 1 FROM kunci_revoked_grants g WHERE g.grant_id = t.grant_id)
	AND (
	    (t.rotated_at IS NULL AND t.expires_at > $2)
	 OR (t.rotated_at IS NOT NULL AND (
	        EXISTS (SELECT 1 FROM kunci_tokens l
	                WHERE l.grant_id = t.grant_id AND l.grant_id <> '' AND l.rotated_at IS NULL AND l.expires_at > $2)
	     OR EXISTS (SELECT 1 FROM kunci_codes c
	                WHERE c.grant_id = t.grant_id AND c.grant_id <> '' AND c.expires_at > $2))))`

// scanRefresh reads refreshColumns from row.
func scanRefresh(row pgx.Row) (store.RefreshToken, error) {
	var t store.RefreshToken
	var count int64
	var authTime, issuedAt, rotatedAt *time.Time
	var successor *string
	err := row.Scan(&t.Hash, &t.GrantID, &t.ClientID, &t.Subject, &t.Scopes, &t.Audience, &count,
		&authTime, &issuedAt, &t.ExpiresAt, &rotatedAt, &successor)
	if err != nil {
		return store.RefreshToken{}, err
	}
	t.RefreshCount = int(count)
	t.AuthTime, t.IssuedAt, t.RotatedAt = fromNull(authTime), fromNull(issuedAt), fromNull(rotatedAt)
	if successor != nil {
		t.SuccessorHash = *successor
	}
	return t, nil
}

// SaveRefreshToken implements [store.TokenStore] (RFC 6749 §1.5). RotatedAt
// and SuccessorHash of t are ignored: a saved token is live.
func (s *Store) SaveRefreshToken(ctx context.Context, t store.RefreshToken) error {
	if t.GrantID == "" {
		return fmt.Errorf("postgres: save refresh token: %w: refresh token without grant id", store.ErrInvalid)
	}
	if err := checkExpiry("save refresh token", t.ExpiresAt, s.now()); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO kunci_tokens (hash, kind, grant_id, client_id, subject, scopes, audience,
		       refresh_count, auth_time, issued_at, expires_at)
		VALUES ($1, 'refresh', $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		t.Hash, t.GrantID, t.ClientID, t.Subject, t.Scopes, t.Audience,
		int64(t.RefreshCount), nullTime(t.AuthTime), nullTime(t.IssuedAt), t.ExpiresAt)
	if err != nil {
		return wrap("save refresh token", err)
	}
	return nil
}

// RefreshToken implements [store.TokenStore].
func (s *Store) RefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	t, err := scanRefresh(s.pool.QueryRow(ctx,
		`SELECT `+refreshColumns+` FROM kunci_tokens t WHERE t.hash = $1 AND t.kind = 'refresh' AND `+refreshReadable,
		hash, s.now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.RefreshToken{}, notFound("refresh token")
	}
	if err != nil {
		return store.RefreshToken{}, wrap("refresh token", err)
	}
	return t, nil
}

// RotateRefreshToken implements [store.TokenStore] (RFC 9700 §4.14.2).
//
// One statement does the rotation: an UPDATE retires the old token only if it
// is live, unrotated, not revoked and of next's grant, and an INSERT that
// reads from the UPDATE's result saves next only if the UPDATE matched. A
// hash any access or refresh token holds fails the whole statement with
// [store.ErrAlreadyExists], leaving the old token live. Row locks
// make exactly one of concurrent callers match. When the statement matches
// nothing, a second query finds out why, in the order the memory store
// checks: unknown, expired or revoked ([store.ErrNotFound]), already rotated
// ([store.ErrReused] with the retired record), another grant
// ([store.ErrInvalid]).
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, next store.RefreshToken) (store.RefreshToken, error) {
	const op = "rotate refresh token"
	now := s.now()
	nextErr := checkExpiry(op, next.ExpiresAt, now)
	if nextErr == nil && next.GrantID != "" {
		old, err := scanRefresh(s.pool.QueryRow(ctx, `
			WITH old AS (
			    UPDATE kunci_tokens t SET rotated_at = $2, successor_hash = $3
			    WHERE t.hash = $1 AND t.kind = 'refresh' AND t.rotated_at IS NULL AND t.expires_at > $2 AND t.grant_id = $4
			      AND NOT EXISTS (SELECT 1 FROM kunci_revoked_grants g WHERE g.grant_id = t.grant_id)
			    RETURNING `+refreshColumns+`
			), ins AS (
			    INSERT INTO kunci_tokens (hash, kind, grant_id, client_id, subject, scopes, audience,
			           refresh_count, auth_time, issued_at, expires_at)
			    SELECT $3, 'refresh', $4, $5::text, $6::text, $7::text[], $8::text[], $9::bigint,
			           $10::timestamptz, $11::timestamptz, $12::timestamptz FROM old
			)
			SELECT hash, grant_id, client_id, subject, scopes, audience, refresh_count,
			       auth_time, issued_at, expires_at, NULL::timestamptz, NULL::text
			FROM old`,
			oldHash, now, next.Hash, next.GrantID, next.ClientID, next.Subject, next.Scopes, next.Audience,
			int64(next.RefreshCount), nullTime(next.AuthTime), nullTime(next.IssuedAt), next.ExpiresAt))
		if err == nil {
			return old, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.RefreshToken{}, wrap(op, err)
		}
	}

	cur, err := scanRefresh(s.pool.QueryRow(ctx,
		`SELECT `+refreshColumns+` FROM kunci_tokens t WHERE t.hash = $1 AND t.kind = 'refresh' AND `+refreshReadable,
		oldHash, now))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.RefreshToken{}, notFound(op)
	case err != nil:
		return store.RefreshToken{}, wrap(op, err)
	case cur.Rotated():
		return cur, reused(op)
	case next.GrantID != cur.GrantID:
		return store.RefreshToken{}, fmt.Errorf("postgres: %s: %w: successor belongs to another grant", op, store.ErrInvalid)
	case nextErr != nil:
		return store.RefreshToken{}, nextErr
	}
	// The token is live now but was not when the rotation ran: it was saved
	// in between, so this call did not see it.
	return store.RefreshToken{}, notFound(op)
}
