package redis

import (
	"context"
	"strconv"

	"github.com/kunci/kunci/store"
)

// SaveGrant implements [store.GrantStore] (RFC 6749 §1.5) in one script:
// it checks expiry and the refresh state in the contract's order, keeps a
// live or revoked grant's ID taken until its ExpiresAt, and stores the grant
// as one hash that Redis expires at the grant's ExpiresAt.
//
// The grant gets a fresh random generation, the call's token: an access
// token keeps its grant's generation and is read only while the grant has
// it, so a token never comes back under a later grant that reuses the ID,
// even when the token's node and the grant's node of a Redis Cluster
// disagree on the time; and a retried script that finds the grant with it
// knows the grant is its own save.
func (s *Store) SaveGrant(ctx context.Context, g store.Grant) error {
	const op = "save grant"
	if g.ID == "" || g.ClientID == "" {
		return invalid(op, "grant without id or client")
	}
	if g.ExpiresAt.IsZero() {
		return noExpiry(op)
	}
	badRefresh := ""
	if g.RefreshHash != "" && (g.RefreshExpiresAt.IsZero() || g.RefreshExpiresAt.After(g.ExpiresAt)) {
		badRefresh = "1"
	}
	r, err := s.runWrite(ctx, s.scripts.saveGrant, []string{s.grantKey(g.ID)},
		s.clock(), stamp(g.ExpiresAt), unixMillis(g.ExpiresAt), badRefresh, encodeGrant(g), newCallToken(),
		g.RefreshHash, stamp(g.RefreshIssuedAt), stamp(g.RefreshExpiresAt), strconv.Itoa(g.RefreshCount),
		g.PreviousRefreshHash, stamp(g.RotatedAt))
	switch {
	case err != nil:
		return fail(op, err)
	case r.status() == "invalid":
		return invalid(op, "refresh token outlives its grant")
	case r.status() != "ok":
		return statusErr(op, r)
	}
	return nil
}

// Grant implements [store.GrantStore] (RFC 6749 §1.5) with one script
// that reads the live grant's hash: not a tombstone, not expired.
func (s *Store) Grant(ctx context.Context, id string) (store.Grant, error) {
	const op = "grant"
	r, err := s.run(ctx, s.scripts.grant, []string{s.grantKey(id)}, s.clock())
	if err != nil {
		return store.Grant{}, fail(op, err)
	}
	if r.status() != "ok" {
		return store.Grant{}, statusErr(op, r)
	}
	g, err := grantFromReply(id, r)
	if err != nil {
		return store.Grant{}, fail(op, err)
	}
	return g, nil
}

// grantFromReply assembles a grant from a script's reply: status, then d,
// r, ri, re, n, p, ra.
func grantFromReply(id string, r reply) (store.Grant, error) {
	g, err := decodeGrant(id, r.str(1))
	if err != nil {
		return store.Grant{}, err
	}
	g.RefreshHash = r.str(2)
	issued, err1 := parseStamp(r.str(3))
	expires, err2 := parseStamp(r.str(4))
	count, err3 := strconv.Atoi(r.str(5))
	g.PreviousRefreshHash = r.str(6)
	rotated, err4 := parseStamp(r.str(7))
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return store.Grant{}, errCorrupt
	}
	g.RefreshIssuedAt, g.RefreshExpiresAt, g.RefreshCount, g.RotatedAt = issued, expires, count, rotated
	return g, nil
}

// RotateRefreshToken implements [store.GrantStore] (RFC 9700 §4.14.2) in
// one script, a compare-and-swap on the grant's hash: it checks every
// condition in the contract's order and installs next only if all hold.
// Redis runs one script at a time, so of concurrent callers with the same
// oldHash exactly one finds it current; the others get [store.ErrReused]
// with the grant as the winner left it, from the same round trip. A rerun
// of the script for this call (a retry of a lost reply) finds its own
// rotation and replies as the first run did.
func (s *Store) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	const op = "rotate refresh token"
	badNext := ""
	if next.Hash == "" || next.IssuedAt.IsZero() {
		badNext = "1"
	}
	r, err := s.runWrite(ctx, s.scripts.rotate, []string{s.grantKey(grantID)},
		s.clock(), oldHash, next.Hash, stamp(next.IssuedAt), stamp(next.ExpiresAt), badNext, newCallToken())
	if err != nil {
		return store.Grant{}, fail(op, err)
	}
	switch r.status() {
	case "ok", "reused":
		g, err := grantFromReply(grantID, r)
		if err != nil {
			return store.Grant{}, fail(op, err)
		}
		if r.status() == "reused" {
			return g, fail(op, store.ErrReused)
		}
		return g, nil
	case "invalid":
		return store.Grant{}, invalid(op, "refresh token without hash or issue time, or outliving its grant")
	}
	return store.Grant{}, statusErr(op, r)
}

// RevokeGrant implements [store.GrantStore] (RFC 7009 §2.1, RFC 6749
// §4.1.2) in one script: a live grant's hash becomes a tombstone (its
// expiry and a mark) that keeps the ID taken until the grant's ExpiresAt.
// Its codes and access tokens stay until their own expiry, never after the
// grant's, but every read of them checks the grant, so none is readable
// from the moment of revocation, and a save for the grant is refused.
func (s *Store) RevokeGrant(ctx context.Context, id string) error {
	const op = "revoke grant"
	r, err := s.runWrite(ctx, s.scripts.revoke, []string{s.grantKey(id)}, s.clock())
	switch {
	case err != nil:
		return fail(op, err)
	case r.status() != "ok" && r.status() != "none":
		return statusErr(op, r)
	}
	return nil
}
