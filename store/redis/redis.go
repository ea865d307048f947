package redis

import (
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
