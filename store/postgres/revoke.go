package postgres

import (
	"context"
	"fmt"

	"github.com/kunci/kunci/store"
)

// DeleteToken implements [store.TokenStore]: it deletes the access or
// refresh token with the given hash, live or retired. An unknown hash is not
// an error (RFC 7009 §2.2).
func (s *Store) DeleteToken(ctx context.Context, hash string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM kunci_tokens WHERE hash = $1`, hash)
	if err != nil {
		return wrap("delete token", err)
	}
	return nil
}

// RevokeGrant implements [store.TokenStore] (RFC 7009 §2.1, RFC 9700
// §4.14.2). In one statement it records the grant in kunci_revoked_grants,
// which every read checks, and deletes the grant's codes and its access and
// refresh tokens, live or retired. Records of the grant saved later are
// stored but never readable; [Store.Purge] keeps the tombstone while any of
// them is left, and for at least a day.
func (s *Store) RevokeGrant(ctx context.Context, grantID string) error {
	if grantID == "" {
		return fmt.Errorf("postgres: revoke grant: %w: empty grant id", store.ErrInvalid)
	}
	_, err := s.pool.Exec(ctx, `
		WITH g AS (
		    INSERT INTO kunci_revoked_grants (grant_id, revoked_at) VALUES ($1, $2)
		    ON CONFLICT (grant_id) DO UPDATE SET revoked_at = EXCLUDED.revoked_at
		), c AS (
		    DELETE FROM kunci_codes WHERE grant_id = $1 AND grant_id <> ''
		)
		DELETE FROM kunci_tokens WHERE grant_id = $1 AND grant_id <> ''`, grantID, s.now())
	if err != nil {
		return wrap("revoke grant", err)
	}
	return nil
}
