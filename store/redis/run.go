package redis

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	goredis "github.com/redis/go-redis/v9"
)

// Running scripts and plain commands, and waiting for replicas after a
// write (Options.WaitReplicas).

// newCallToken returns a fresh random token for one call of a Store method
// that writes with a script. The method makes it once, before go-redis
// sends the command, so every retry of the command carries the same token;
// the script stores it with its write and, finding it on a second run,
// answers as the first run did (see the package documentation, "Retries",
// and scripts.go). Nine random bytes make a collision between two calls on
// one key negligible; the token costs twelve bytes in the record.
func newCallToken() string {
	var b [9]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// clock returns the first argument of every script: "" to use the Redis
// server's clock (TIME), or the stamp of the injected test clock.
func (s *Store) clock() string {
	if s.now == nil {
		return ""
	}
	return stamp(s.now())
}

// reply is what a script returns: a status and the values that go with it.
type reply []any

// status is the reply's first element.
func (r reply) status() string {
	if len(r) == 0 {
		return ""
	}
	v, _ := r[0].(string)
	return v
}

// str returns element i as a string; a missing element or a Redis nil is "".
func (r reply) str(i int) string {
	if i >= len(r) {
		return ""
	}
	v, _ := r[i].(string)
	return v
}

// run runs a script that writes nothing, or whose writes need no wait.
func (s *Store) run(ctx context.Context, sc *goredis.Script, keys []string, args ...any) (reply, error) {
	v, err := sc.Run(ctx, s.rdb, keys, args...).Slice()
	return reply(v), err
}

// runWrite runs a script that may write. A script reports a write by the
// status "ok"; with [Options.WaitReplicas] set, such a write is followed by
// WAIT on the same connection (one pipeline to the key's primary), and too
// few acknowledgements give [ErrNotReplicated]. go-redis retries the whole
// pipeline when its connection fails; a second run of the script finds its
// own write and writes its call token again, so that the WAIT on the new
// connection covers the first run's write too (scripts.go explains why).
func (s *Store) runWrite(ctx context.Context, sc *goredis.Script, keys []string, args ...any) (reply, error) {
	if s.waitReplicas == 0 {
		return s.run(ctx, sc, keys, args...)
	}
	node, err := s.primaryFor(ctx, keys[0])
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		pipe := node.Pipeline()
		ev := pipe.EvalSha(ctx, sc.Hash(), keys, args...)
		wait := s.queueWait(ctx, pipe)
		_, _ = pipe.Exec(ctx) // each command carries its own error
		if attempt == 0 && goredis.HasErrorPrefix(ev.Err(), "NOSCRIPT") {
			// This primary has not seen the script yet (or flushed it).
			if err := sc.Load(ctx, node).Err(); err != nil {
				return nil, err
			}
			continue
		}
		v, err := ev.Slice()
		if err != nil {
			return nil, err
		}
		r := reply(v)
		if r.status() != "ok" {
			return r, nil // nothing was written
		}
		return r, s.waitResult(wait)
	}
}

// writePlain runs one plain command that may write (SET, DEL) and, with
// [Options.WaitReplicas] set, WAIT after it on the same connection. changed
// reports whether the command changed anything, so that a DEL of nothing
// waits for no replica.
func (s *Store) writePlain(ctx context.Context, key string, queue func(goredis.Cmdable) goredis.Cmder, changed func(goredis.Cmder) bool) error {
	if s.waitReplicas == 0 {
		return queue(s.rdb).Err()
	}
	node, err := s.primaryFor(ctx, key)
	if err != nil {
		return err
	}
	pipe := node.Pipeline()
	cmd := queue(pipe)
	wait := s.queueWait(ctx, pipe)
	_, _ = pipe.Exec(ctx) // each command carries its own error
	if err := cmd.Err(); err != nil {
		return err
	}
	if !changed(cmd) {
		return nil
	}
	return s.waitResult(wait)
}

// queueWait queues WAIT in pipe. (go-redis has Wait on its clients and
// pipelines, but not on the Pipeliner interface.)
func (s *Store) queueWait(ctx context.Context, pipe goredis.Pipeliner) *goredis.Cmd {
	return pipe.Do(ctx, "wait", s.waitReplicas, s.waitTimeout.Milliseconds())
}

// waitResult turns the reply of WAIT into an error when too few replicas
// acknowledged the write.
func (s *Store) waitResult(wait *goredis.Cmd) error {
	n, err := wait.Int64()
	if err != nil {
		return fmt.Errorf("wait for replicas: %w", err)
	}
	if n < int64(s.waitReplicas) {
		return fmt.Errorf("%w: %d of %d within %v", ErrNotReplicated, n, s.waitReplicas, s.waitTimeout)
	}
	return nil
}

// primaryFor returns the client of the primary that holds key; New has
// made sure the client is one of these two kinds when WAIT is on.
func (s *Store) primaryFor(ctx context.Context, key string) (*goredis.Client, error) {
	switch c := s.rdb.(type) {
	case *goredis.Client:
		return c, nil
	case *goredis.ClusterClient:
		return c.MasterForKey(ctx, key)
	}
	return nil, fmt.Errorf("redis: no primary to wait on for a %T", s.rdb)
}
