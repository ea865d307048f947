package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kunci/kunci/store"
)

// Access tokens are named by hash alone, so their keys cannot share their
// grant's hash tag: on a Redis Cluster or a Ring a token and its grant may
// live on different nodes. There, saves and lookups are two single-slot
// scripts, the grant's first for a save and second for a lookup. On a
// single node each is one script that reads the grant too
// (BenchmarkAccessTokenLookup: one round trip instead of two). Either way a
// token keeps the generation of the grant it was saved under, and a token
// whose grant is revoked or expires between the two steps is saved, but no
// read ever returns it, because every read checks the grant and its
// generation.

// SaveAccessToken implements [store.AccessTokenStore] (RFC 6749 §1.4). It
// checks the token's expiry, that its grant is live and outlives it, and
// saves it unless a live token holds the hash: in one script on a single
// node, and on a cluster in a script on the grant's slot (which returns
// the grant's generation) and then one on the token's. A token of no grant
// needs no grant check.
func (s *Store) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	const op = "save access token"
	if t.Hash == "" {
		return invalid(op, "access token without hash")
	}
	if t.ExpiresAt.IsZero() {
		return noExpiry(op)
	}
	exp := stamp(t.ExpiresAt)
	keys := []string{s.accessKey(t.Hash)}
	generation := ""
	if t.GrantID != "" && s.singleNode {
		keys = append(keys, s.grantKey(t.GrantID))
	} else if t.GrantID != "" {
		r, err := s.run(ctx, s.scripts.grantCheck, []string{s.grantKey(t.GrantID)}, s.clock(), exp)
		if err != nil {
			return fail(op, err)
		}
		if r.status() != "ok" {
			return accessSaveErr(op, r)
		}
		generation = r.str(1)
	}
	r, err := s.runWrite(ctx, s.scripts.accessPut, keys,
		s.clock(), exp, unixMillis(t.ExpiresAt), encodeAccess(t), t.GrantID, generation, newCallToken())
	if err != nil {
		return fail(op, err)
	}
	if r.status() != "ok" {
		return accessSaveErr(op, r)
	}
	return nil
}

// accessSaveErr is the error of a refused access token save.
func accessSaveErr(op string, r reply) error {
	switch r.status() {
	case "notfound":
		return fail(op+": grant of the access token", store.ErrNotFound)
	case "invalid":
		return invalid(op, "access token outlives its grant")
	}
	return statusErr(op, r)
}

// AccessToken implements [store.AccessTokenStore] (RFC 6749 §7, RFC 7662
// §2.2 for introspection): one script reads the
// live token and, on a single node, checks that its grant is live and has
// the generation the token was saved under; on a cluster a second script,
// on the grant's slot, does that check.
func (s *Store) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	const op = "access token"
	prefix := ""
	if s.singleNode {
		prefix = s.prefix
	}
	r, err := s.run(ctx, s.scripts.accessGet, []string{s.accessKey(hash)}, s.clock(), prefix)
	if err != nil {
		return store.AccessToken{}, fail(op, err)
	}
	if r.status() != "ok" {
		return store.AccessToken{}, statusErr(op, r)
	}
	t, err := decodeAccess(hash, r.str(1))
	if err != nil {
		return store.AccessToken{}, fail(op, err)
	}
	if r.str(2) == "1" {
		return t, nil
	}
	g, err := s.run(ctx, s.scripts.grantCheck, []string{s.grantKey(t.GrantID)}, s.clock(), "")
	switch {
	case err != nil:
		return store.AccessToken{}, fail(op, err)
	case g.status() == "notfound" || (g.status() == "ok" && g.str(1) != r.str(3)):
		return store.AccessToken{}, fail(op, store.ErrNotFound)
	case g.status() != "ok":
		return store.AccessToken{}, statusErr(op, g)
	}
	return t, nil
}

// DeleteAccessToken implements [store.AccessTokenStore] with one DEL. An
// unknown hash is not an error (RFC 7009 §2.2).
func (s *Store) DeleteAccessToken(ctx context.Context, hash string) error {
	err := s.writePlain(ctx, s.accessKey(hash),
		func(c goredis.Cmdable) goredis.Cmder { return c.Del(ctx, s.accessKey(hash)) },
		deleted)
	if err != nil {
		return fail("delete access token", err)
	}
	return nil
}

// deleted reports whether a DEL removed a key.
func deleted(cmd goredis.Cmder) bool { return cmd.(*goredis.IntCmd).Val() > 0 }
