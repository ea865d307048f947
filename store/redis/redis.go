package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kunci/kunci/store"
)

// DefaultKeyPrefix is the prefix of every key when [Options.KeyPrefix] is
// empty.
const DefaultKeyPrefix = "kunci:"

// Options configures a [Store]. The zero value is a valid configuration: keys
// start with [DefaultKeyPrefix] and no write waits for replicas.
type Options struct {
	// KeyPrefix starts every key the store uses, so that several stores, or
	// a store and other data, can share one Redis database. Empty means
	// [DefaultKeyPrefix]. It may not contain '{' or '}', which would change
	// the hash tags that keep a grant's keys in one Redis Cluster slot (see
	// the package documentation, "Keys").
	KeyPrefix string

	// Sharded keeps every script to the keys of one hash slot on a
	// *redis.Client too, for a server that shards keys behind one address
	// (a proxy in front of a cluster, as some managed Redis services run).
	// Without it, a *redis.Client saves and reads an access token together
	// with its grant in one script, which such a proxy refuses (CROSSSLOT);
	// with it, that takes two scripts, as on a ClusterClient or a Ring,
	// which always work this way.
	Sharded bool

	// WaitReplicas, when positive, makes every write that changes something
	// wait until at least this many replicas have acknowledged it (Redis
	// WAIT, on the connection that made the write) before the method
	// returns. A write that fewer replicas acknowledge within WaitTimeout
	// returns an error wrapping [ErrNotReplicated]; it has been applied on
	// the primary, but a failover may lose it. Redis replication is
	// asynchronous, so without WAIT a failover can lose acknowledged
	// rotations, consumed codes and revocations. Zero waits for nothing;
	// negative is an error. It needs a *redis.Client (single node or
	// Sentinel) or a *redis.ClusterClient: a Ring has no replicas to wait
	// for. On a cluster a waiting write goes straight to the primary of its
	// key's slot, so while that slot migrates it fails (MOVED) instead of
	// following the redirection.
	WaitReplicas int

	// WaitTimeout bounds each wait for replicas. When WaitReplicas is
	// positive it must be at least a millisecond (WAIT counts whole
	// milliseconds and reads zero as "wait forever") and shorter than the
	// client's ReadTimeout, which would otherwise cut the wait short. It is
	// ignored when WaitReplicas is zero.
	WaitTimeout time.Duration
}

// ErrNotReplicated reports a write that fewer replicas than
// [Options.WaitReplicas] acknowledged within [Options.WaitTimeout]. The
// write was applied on the primary, but a failover may lose it, so the
// server must not report it as a success.
var ErrNotReplicated = errors.New("redis: write not acknowledged by enough replicas")

// Store is a [store.Store] kept in Redis, on a single node, a Sentinel
// failover client, a Redis Cluster or a Ring. Make one with [New]. Every
// atomic step is one Lua script (see the package documentation); a Store is
// safe for concurrent use by many goroutines and many processes.
type Store struct {
	rdb          goredis.UniversalClient
	prefix       string
	waitReplicas int
	waitTimeout  time.Duration
	// singleNode is set for a *redis.Client without Options.Sharded:
	// every key is on its one node, so a script may touch keys of two
	// slots (see access.go).
	singleNode bool
	// now, when set, replaces the Redis server's clock in every script, so
	// that tests can move time. It is nil outside this package's tests.
	now     func() time.Time
	scripts scripts
}

var _ store.Store = (*Store)(nil)

// New returns a Store that keeps its records in the Redis that client talks
// to. It sends no command; the client stays the caller's to configure and
// close. It returns an error naming the field when opts cannot work.
//
// The server must run Redis 6.2 or later with maxmemory-policy noeviction,
// and its persistence settings decide what a restart loses (see the package
// documentation and README.md).
func New(client goredis.UniversalClient, opts Options) (*Store, error) {
	if client == nil {
		return nil, errors.New("redis: New: nil client")
	}
	prefix := opts.KeyPrefix
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, fmt.Errorf("redis: Options.KeyPrefix %q contains '{' or '}'", prefix)
	}
	if err := validateWait(client, opts); err != nil {
		return nil, err
	}
	_, single := client.(*goredis.Client)
	s := &Store{rdb: client, prefix: prefix, singleNode: single && !opts.Sharded, scripts: newScripts()}
	if opts.WaitReplicas > 0 {
		s.waitReplicas, s.waitTimeout = opts.WaitReplicas, opts.WaitTimeout
	}
	return s, nil
}

// validateWait refuses wait options that cannot work with client.
func validateWait(client goredis.UniversalClient, opts Options) error {
	switch {
	case opts.WaitReplicas < 0:
		return fmt.Errorf("redis: Options.WaitReplicas is %d; it must be zero or positive", opts.WaitReplicas)
	case opts.WaitReplicas == 0:
		return nil
	case opts.WaitTimeout < time.Millisecond:
		// WAIT takes whole milliseconds and waits forever on zero.
		return fmt.Errorf("redis: Options.WaitTimeout is %v; it must be at least a millisecond when Options.WaitReplicas is set", opts.WaitTimeout)
	}
	var readTimeout time.Duration
	switch c := client.(type) {
	case *goredis.Client:
		readTimeout = c.Options().ReadTimeout
	case *goredis.ClusterClient:
		readTimeout = c.Options().ReadTimeout
	default:
		return fmt.Errorf("redis: Options.WaitReplicas needs a *redis.Client or *redis.ClusterClient, not %T", client)
	}
	// go-redis has normalised ReadTimeout: positive is a deadline, zero
	// or negative none.
	if readTimeout > 0 && opts.WaitTimeout >= readTimeout {
		return fmt.Errorf("redis: Options.WaitTimeout (%v) must be shorter than the client's ReadTimeout (%v)", opts.WaitTimeout, readTimeout)
	}
	return nil
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
// few acknowledgements give [ErrNotReplicated].
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

// fail wraps a sentinel or system error with the operation's name.
func fail(op string, err error) error {
	return fmt.Errorf("redis: %s: %w", op, err)
}

// statusErr maps a script's refusal to the store's sentinel error, wrapped
// with the operation's name.
func statusErr(op string, r reply) error {
	switch r.status() {
	case "notfound":
		return fail(op, store.ErrNotFound)
	case "reused":
		return fail(op, store.ErrReused)
	case "expired":
		return fail(op, store.ErrExpired)
	case "invalid":
		return fail(op, store.ErrInvalid)
	case "exists":
		return fail(op, store.ErrAlreadyExists)
	}
	return fmt.Errorf("redis: %s: unexpected script reply %q", op, r.status())
}

// invalid is the error of a record or argument that breaks the contract.
func invalid(op, why string) error {
	return fmt.Errorf("redis: %s: %w: %s", op, store.ErrInvalid, why)
}

// noExpiry is the error of a record saved without an ExpiresAt.
func noExpiry(op string) error {
	return fmt.Errorf("redis: %s: %w: no expiry", op, store.ErrExpired)
}
