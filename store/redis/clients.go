package redis

import (
	"context"
	"errors"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kunci/kunci/store"
)

// SaveClient implements [store.ClientStore] (RFC 6749 §2) with one SET of
// the client's encoding, without expiry.
func (s *Store) SaveClient(ctx context.Context, c store.Client) error {
	const op = "save client"
	if c.ID == "" {
		return invalid(op, "client without id")
	}
	key := s.clientKey(c.ID)
	err := s.writePlain(ctx, key,
		func(rc goredis.Cmdable) goredis.Cmder { return rc.Set(ctx, key, encodeClient(c), 0) },
		func(goredis.Cmder) bool { return true })
	if err != nil {
		return fail(op, err)
	}
	return nil
}

// Client implements [store.ClientStore] (RFC 6749 §2) with one GET.
func (s *Store) Client(ctx context.Context, id string) (store.Client, error) {
	const op = "client"
	v, err := s.rdb.Get(ctx, s.clientKey(id)).Result()
	if errors.Is(err, goredis.Nil) {
		return store.Client{}, fail(op, store.ErrNotFound)
	}
	if err != nil {
		return store.Client{}, fail(op, err)
	}
	c, err := decodeClient(id, v)
	if err != nil {
		return store.Client{}, fail(op, err)
	}
	return c, nil
}
