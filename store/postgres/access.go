package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kunci/kunci/store"
)

// SaveAccessToken implements [store.TokenStore] (RFC 6749 §1.4). Access and
// refresh tokens share one key space: a hash any token holds gives
// [store.ErrAlreadyExists].
func (s *Store) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	if err := checkExpiry("save access token", t.ExpiresAt, s.now()); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO kunci_tokens (hash, kind, grant_id, client_id, subject, scopes, audience, claims, issued_at, expires_at)
		VALUES ($1, 'access', $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.Hash, t.GrantID, t.ClientID, t.Subject, t.Scopes, t.Audience, t.Claims, nullTime(t.IssuedAt), t.ExpiresAt)
	if err != nil {
		return wrap("save access token", err)
	}
	return nil
}

// AccessToken implements [store.TokenStore]: one indexed lookup that also
// checks expiry and revocation.
func (s *Store) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	t := store.AccessToken{Hash: hash}
	var issuedAt *time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT a.grant_id, a.client_id, a.subject, a.scopes, a.audience, a.claims, a.issued_at, a.expires_at
		FROM kunci_tokens a
		WHERE a.hash = $1 AND a.kind = 'access' AND a.expires_at > $2
		  AND NOT EXISTS (SELECT 1 FROM kunci_revoked_grants g WHERE g.grant_id = a.grant_id)`,
		hash, s.now()).Scan(
		&t.GrantID, &t.ClientID, &t.Subject, &t.Scopes, &t.Audience, &t.Claims, &issuedAt, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AccessToken{}, notFound("access token")
	}
	if err != nil {
		return store.AccessToken{}, wrap("access token", err)
	}
	t.IssuedAt = fromNull(issuedAt)
	return t, nil
}
