package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kunci/kunci/store"
)

// grantColumns are the columns scanGrant reads, in its order.
const grantColumns = `id, client_id, subject, scopes, audience, auth_time, acr, amr, session_id, nonce,
	claims, jkt, refresh_hash, refresh_issued_at, refresh_expires_at, refresh_count,
	previous_refresh_hash, rotated_at, created_at, expires_at`

// grantValues returns the values of grantColumns for g, in their order.
func grantValues(g store.Grant) []any {
	return []any{g.ID, g.ClientID, g.Subject, g.Scopes, g.Audience, nullTime(g.AuthTime), g.ACR, g.AMR,
		g.SessionID, g.Nonce, g.Claims, g.JKT, g.RefreshHash, nullTime(g.RefreshIssuedAt),
		nullTime(g.RefreshExpiresAt), int64(g.RefreshCount), g.PreviousRefreshHash, nullTime(g.RotatedAt),
		nullTime(g.CreatedAt), g.ExpiresAt}
}

// scanGrant reads grantColumns, then extra, from row.
func scanGrant(row pgx.Row, extra ...any) (store.Grant, error) {
	var g store.Grant
	var count int64
	var authTime, refreshIssued, refreshExpires, rotated, created *time.Time
	dest := []any{&g.ID, &g.ClientID, &g.Subject, &g.Scopes, &g.Audience, &authTime, &g.ACR, &g.AMR,
		&g.SessionID, &g.Nonce, &g.Claims, &g.JKT, &g.RefreshHash, &refreshIssued, &refreshExpires, &count,
		&g.PreviousRefreshHash, &rotated, &created, &g.ExpiresAt}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return store.Grant{}, err
	}
	g.RefreshCount = int(count)
	g.AuthTime, g.RefreshIssuedAt, g.RefreshExpiresAt = fromNull(authTime), fromNull(refreshIssued), fromNull(refreshExpires)
	g.RotatedAt, g.CreatedAt = fromNull(rotated), fromNull(created)
	return g, nil
}

// liveGrant is the condition under which the grant row g is live at $now:
// not revoked and not expired.
const liveGrant = `g.revoked_at IS NULL AND g.expires_at > `

// SaveGrant implements [store.GrantStore]. One INSERT … ON CONFLICT saves
// the grant, or replaces a row of the same ID whose grant has expired
// (revoked or not); a live or revoked-but-unexpired row keeps the ID taken.
func (s *Store) SaveGrant(ctx context.Context, g store.Grant) error {
	const op = "save grant"
	if g.ID == "" || g.ClientID == "" {
		return invalid(op, "grant without id or client")
	}
	now := s.now()
	if err := checkExpiry(op, g.ExpiresAt, now); err != nil {
		return err
	}
	if g.RefreshHash != "" && (g.RefreshExpiresAt.IsZero() || g.RefreshExpiresAt.After(g.ExpiresAt)) {
		return invalid(op, "refresh token outlives its grant")
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO kunci_grants (`+grantColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (id) DO UPDATE SET
		       client_id = EXCLUDED.client_id, subject = EXCLUDED.subject, scopes = EXCLUDED.scopes,
		       audience = EXCLUDED.audience, auth_time = EXCLUDED.auth_time, acr = EXCLUDED.acr,
		       amr = EXCLUDED.amr, session_id = EXCLUDED.session_id, nonce = EXCLUDED.nonce,
		       claims = EXCLUDED.claims, jkt = EXCLUDED.jkt, refresh_hash = EXCLUDED.refresh_hash,
		       refresh_issued_at = EXCLUDED.refresh_issued_at, refresh_expires_at = EXCLUDED.refresh_expires_at,
		       refresh_count = EXCLUDED.refresh_count, previous_refresh_hash = EXCLUDED.previous_refresh_hash,
		       rotated_at = EXCLUDED.rotated_at, created_at = EXCLUDED.created_at,
		       expires_at = EXCLUDED.expires_at, revoked_at = NULL
		WHERE kunci_grants.expires_at <= $21`,
		append(grantValues(g), now)...)
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrAlreadyExists)
	}
	return nil
}

// Grant implements [store.GrantStore].
func (s *Store) Grant(ctx context.Context, id string) (store.Grant, error) {
	g, err := scanGrant(s.pool.QueryRow(ctx,
		`SELECT `+grantColumns+` FROM kunci_grants g WHERE g.id = $1 AND `+liveGrant+`$2`, id, s.now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Grant{}, notFound("grant")
	}
	if err != nil {
		return store.Grant{}, wrap("grant", err)
	}
	return g, nil
}

// rotateStatement is RotateRefreshToken's one statement. cur locks the
// grant's row (FOR NO KEY UPDATE waits for a concurrent rotation or
// revocation to commit, then reads the row as it left it; it does not
// conflict with the key-share locks that inserting a code or access token
// of the grant takes, so those never queue behind a rotation) and states every condition the
// rotation depends on; upd rotates only if all hold. The row comes back as
// it was before, with the conditions, so that a refused rotation is
// explained without a second query. Parameters: $1 grant ID, $2 oldHash,
// $3 next.Hash, $4 next.IssuedAt, $5 next.ExpiresAt, $6 now, $7 whether
// next passed the checks that need no row.
const rotateStatement = `
	WITH cur AS (
	    SELECT ` + grantColumns + `,
	           (` + liveGrant + `$6) AS live,
	           g.refresh_hash = $2 AS current,
	           ($2 = '' OR g.refresh_expires_at > $6) AS refresh_live,
	           ($3 <> g.refresh_hash AND $5 <= g.expires_at) AS fits
	    FROM kunci_grants g WHERE g.id = $1
	    FOR NO KEY UPDATE
	), upd AS (
	    UPDATE kunci_grants g SET
	           refresh_hash = $3, refresh_issued_at = $4, refresh_expires_at = $5,
	           previous_refresh_hash = CASE WHEN $2 = '' THEN g.previous_refresh_hash ELSE $2 END,
	           rotated_at = CASE WHEN $2 = '' THEN g.rotated_at ELSE $4 END,
	           refresh_count = g.refresh_count + CASE WHEN $2 = '' THEN 0 ELSE 1 END
	    FROM cur
	    WHERE g.id = cur.id AND cur.live AND cur.current AND cur.refresh_live AND cur.fits AND $7
	    RETURNING 1
	)
	SELECT ` + grantColumns + `, live, current, refresh_live, fits, EXISTS (SELECT 1 FROM upd) FROM cur`

// RotateRefreshToken implements [store.GrantStore] (RFC 9700 §4.14.2) in
// one statement, a compare-and-swap on the grant's row: see
// rotateStatement. Row locks make exactly one of concurrent callers with
// the same oldHash rotate; the others find the row as the winner left it,
// whose refresh_hash is no longer theirs ([store.ErrReused]).
func (s *Store) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	const op = "rotate refresh token"
	now := s.now()
	badNext := next.Hash == "" || next.IssuedAt.IsZero()
	expiredNext := checkExpiry(op, next.ExpiresAt, now)
	var live, current, refreshLive, fits, rotated bool
	cur, err := scanGrant(s.pool.QueryRow(ctx, rotateStatement,
		grantID, oldHash, next.Hash, next.IssuedAt, next.ExpiresAt, now, !badNext && expiredNext == nil),
		&live, &current, &refreshLive, &fits, &rotated)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Grant{}, notFound(op)
	case err != nil:
		return store.Grant{}, wrap(op, err)
	case !live:
		return store.Grant{}, notFound(op)
	case rotated:
		return cur, nil
	case !current:
		return cur, reused(op)
	case !refreshLive:
		return store.Grant{}, notFound(op)
	case badNext || !fits:
		return store.Grant{}, invalid(op, "refresh token without hash or issue time, or outliving its grant")
	case expiredNext != nil:
		return store.Grant{}, expiredNext
	}
	return store.Grant{}, fmt.Errorf("postgres: %s: no rotation although every condition held", op)
}

// RevokeGrant implements [store.GrantStore] (RFC 7009 §2.1, RFC 6749
// §4.1.2). One statement marks a live grant revoked, which every read of it
// and of its codes and access tokens checks, and deletes its codes and
// access tokens. The row stays, a tombstone that keeps the ID taken, until
// [Store.Purge] deletes it at the grant's expires_at.
func (s *Store) RevokeGrant(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `
		WITH g AS (
		    UPDATE kunci_grants g SET revoked_at = $2 WHERE g.id = $1 AND `+liveGrant+`$2 RETURNING g.id
		), c AS (
		    DELETE FROM kunci_codes WHERE grant_id IN (SELECT id FROM g)
		)
		DELETE FROM kunci_access_tokens WHERE grant_id IN (SELECT id FROM g)`, id, s.now())
	if err != nil {
		return wrap("revoke grant", err)
	}
	return nil
}
