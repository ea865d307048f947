package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kunci/kunci/store"
)

// Access tokens are named by hash alone, so their keys cannot share their
// grant's hash tag: a token and its grant may live on different nodes of a
// Redis Cluster. Saves and lookups are therefore two single-slot scripts,
// the grant's first, and the token remembers the generation of the grant it
// was saved under. A token whose grant is revoked or expires between the
// two steps is saved, but no read ever returns it, because every read
// checks the grant and its generation.

// SaveAccessToken implements [store.AccessTokenStore] (RFC 6749 §1.4). A
// token of a grant is saved in two steps: one script on the grant's slot
// checks the token's expiry and that the grant is live and outlives it,
// and returns the grant's generation; a second on the token's slot saves
// it unless a live token holds the hash. A token of no grant takes the
// second step only.
func (s *Store) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	const op = "save access token"
	if t.Hash == "" {
		return invalid(op, "access token without hash")
	}
	if t.ExpiresAt.IsZero() {
		return noExpiry(op)
	}
	exp := stamp(t.ExpiresAt)
	generation := ""
	if t.GrantID != "" {
		r, err := s.run(ctx, s.scripts.grantCheck, []string{s.grantKey(t.GrantID)}, s.clock(), exp)
		switch {
		case err != nil:
			return fail(op, err)
		case r.status() == "notfound":
			return fail(op+": grant of the access token", store.ErrNotFound)
		case r.status() == "invalid":
			return invalid(op, "access token outlives its grant")
		case r.status() != "ok":
			return statusErr(op, r)
		}
		generation = r.str(1)
	}
	r, err := s.runWrite(ctx, s.scripts.put, []string{s.accessKey(t.Hash)},
		s.clock(), exp, unixMillis(t.ExpiresAt), encodeAccess(t, generation), "new")
	switch {
	case err != nil:
		return fail(op, err)
	case r.status() != "ok":
		return statusErr(op, r)
	}
	return nil
}

// AccessToken implements [store.AccessTokenStore]: one script reads the
// live token, and for a token of a grant a second, on the grant's slot,
// checks that the grant is live and has the generation the token was saved
// under.
func (s *Store) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	const op = "access token"
	r, err := s.run(ctx, s.scripts.get, []string{s.accessKey(hash)}, s.clock(), "")
	if err != nil {
		return store.AccessToken{}, fail(op, err)
	}
	if r.status() != "ok" {
		return store.AccessToken{}, statusErr(op, r)
	}
	t, generation, err := decodeAccess(hash, r.str(1))
	if err != nil {
		return store.AccessToken{}, fail(op, err)
	}
	if t.GrantID == "" {
		return t, nil
	}
	g, err := s.run(ctx, s.scripts.grantCheck, []string{s.grantKey(t.GrantID)}, s.clock(), "")
	switch {
	case err != nil:
		return store.AccessToken{}, fail(op, err)
	case g.status() == "notfound" || (g.status() == "ok" && g.str(1) != generation):
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
