// Package redis is a [store.Store] kept in Redis, for deployments in which
// several authorization server instances share one Redis: a single node, a
// Sentinel-managed primary, a Redis Cluster or a Ring of nodes.
//
// # Usage
//
//	client := goredis.NewUniversalClient(&goredis.UniversalOptions{Addrs: []string{"localhost:6379"}})
//	defer client.Close()
//	s, err := redis.New(client, redis.Options{})
//	if err != nil { ... }
//	srv, err := authserver.New(cfg, s)
//
// [New] takes any go-redis UniversalClient: a *redis.Client (one node, or
// Sentinel through NewFailoverClient), a *redis.ClusterClient or a
// *redis.Ring. The server must run Redis 6.2 or later (the tests use 7.0)
// with maxmemory-policy noeviction: every key but a client's has an
// expiry, so the volatile-* policies as well as the allkeys-* ones would
// evict consumed codes, used keys and revoked grants' tombstones, and a
// replayed code or DPoP proof would then be accepted. What a restart or a
// failover loses depends on the server's persistence and on
// [Options.WaitReplicas]; README.md explains the settings.
//
// # Keys
//
// Every key starts with [Options.KeyPrefix], "kunci:" below and by
// default. A part followed by another carries its length, so that no two
// different lookups name one key, whatever bytes they hold.
//
//	kunci:{g:<len>:<grantID>}           grant: hash e, d, v, r, ri, re, n, p, ra, t, b (a tombstone: e, x)
//	kunci:{g:<len>:<grantID>}c:<hash>   authorization code: hash e, d, t, and u once consumed
//	kunci:a:<hash>                      access token: hash e, d, g, v, t
//	kunci:c:<clientID>                  client: string, no expiry
//	kunci:r:<requestID>                 pending or pushed authorization request: string (taken: a mark)
//	kunci:n:<len>:<subject><clientID>   consent: string
//	kunci:o:<key>                       use-once key: string
//	kunci:t:<key>                       a [Counter]'s count: string
//
// A grant and its codes share the hash tag
// {g:<len>:<grantID>}, so Redis Cluster keeps them in one slot and every
// script on them runs on one node; when the ID holds a '}', the tag ends
// there, the same way for every key of the grant. Codes and refresh tokens
// are always looked up with their grant's ID (the server carries it in
// them), so no script needs keys of two slots. Access tokens are named by
// hash alone (their strings carry no grant ID): on a cluster or a Ring, a
// save checks the grant in one script on its slot and then saves the token
// in another, and a lookup reads the token and then checks its grant; on a
// single node each is one script, unless [Options.Sharded] is set.
//
// Field e of a hash, and the first 18 bytes of a string, is the record's
// ExpiresAt as a stamp (see stamp.go); d, and the rest of a string, is the
// record's compact binary encoding (see encode.go); scripts.go describes
// the other fields.
//
// # How the contracts are kept
//
// The package documentation of [store] lists the contracts every Store
// keeps. This one keeps them as follows.
//
//   - Expiry and the clock: a store judges expiry by its own clock, and this
//     one's is the Redis server's (TIME, read inside each script), which is
//     also the clock Redis expires keys by. Every key expires at its
//     record's ExpiresAt rounded up to the millisecond (PEXPIREAT, SET
//     PXAT), and every read compares the exact ExpiresAt, to the
//     microsecond, with the server's time, so that a record is unreadable
//     from its ExpiresAt on whether or not Redis has dropped the key yet.
//     On a cluster each node judges its own keys by its own clock.
//   - Grants: a grant is one hash, whatever its number of rotations. Codes
//     and access tokens are saved only while it is live and outlives them,
//     and read only while it is live. An access token also keeps a random
//     generation of its grant, stamped by SaveGrant, and is read only
//     while its grant has that generation, so that no token comes back
//     under a later grant with the same ID, even when the token's node and
//     the grant's disagree on the time.
//   - Single use: [Store.ConsumeCode], [Store.RotateRefreshToken],
//     [Store.ConsumeAuthRequest] and [Store.UseOnce] are one Lua script
//     each. Redis runs one script at a time, so exactly one of any number of
//     concurrent callers finds the code unused, the refresh token current,
//     the request there or the key new; the others get what a later call
//     would, from the same round trip.
//   - Reuse detection: rotation is a compare-and-swap on the grant's
//     refresh hash, so any refresh token of a live grant that is not its
//     current one is a reuse (RFC 9700 §4.14.2). A consumed code keeps its
//     key, marked, until it expires (RFC 6749 §4.1.2).
//   - Revocation: [Store.RevokeGrant] turns the grant's hash into a
//     tombstone that expires when the grant would have and keeps its ID
//     taken. Its codes and access tokens stay until their own expiry
//     (never after the grant's), unreadable, because every read of them
//     checks the grant.
//   - Values: records are encoded when saved and decoded when read, so
//     every record handed out is a fresh copy.
//   - Errors: refusals are the store's sentinel errors, wrapped ("redis:
//     <operation>: …"); a Redis error, a record that cannot be decoded or
//     too few replica acknowledgements ([ErrNotReplicated]) are other
//     errors, never a success.
//
// # Retries
//
// go-redis retries a command whose connection failed or timed out
// (Options.MaxRetries, 3 by default; a cluster client also follows MOVED
// and ASK), so a write script whose reply was lost after Redis ran it runs
// again with the same arguments. Retries are safe: every write script is
// idempotent for its own caller. Each call of a Store method that writes
// with a script makes a random call token once, before go-redis sends
// anything, and the script stores the token with what it writes, in the
// record's own key, so that it touches no other slot and lives exactly as
// long as the record. A second run that finds its own token answers as the
// first run did:
//
//   - [Store.RotateRefreshToken] keeps the token and the refresh state it
//     replaced in the grant's hash (t, b). A run that finds next current,
//     oldHash previous and its own token returns the grant as it was
//     before the rotation, with a nil error.
//   - [Store.ConsumeCode] keeps the token beside the code's used mark (t,
//     u), and a run that finds it returns the code.
//   - [Store.UseOnce] stores the token as the key's record, and a run that
//     finds it returns nil.
//   - [Store.ConsumeAuthRequest] leaves in the request's place, until the
//     request's expiry, a mark holding the token and the request. A run
//     that finds its token returns the request; readers and every other
//     caller find nothing, as after a delete.
//   - [Store.SaveGrant] (whose random generation v is its token),
//     [Store.SaveCode] and [Store.SaveAccessToken] (t) succeed instead of
//     reporting [store.ErrAlreadyExists].
//
// Another call has another token and gets what it always did, even with
// the same arguments: [store.ErrReused], [store.ErrNotFound] or
// [store.ErrAlreadyExists]. A client that repeats its request makes such a
// call, even when the server's grace period gives it the same successor
// token as before (the server handles that case after ErrReused). A second run
// writes its token again, the same value, so that with
// [Options.WaitReplicas] the WAIT on the retry's connection covers the
// first run's write (scripts.go explains why). RevokeGrant and the deletes
// are idempotent by nature; a rerun of them finds nothing to change and,
// like any call that changes nothing, waits for no replica.
//
// What the store cannot make safe is a retry after an error: a method that
// returns an error, [ErrNotReplicated] included, may have written, and the
// client's retry of its request is a new call. A second
// exchange of the same code is then a reuse, and so is a second refresh,
// unless the server's Config.RefreshRotation.GracePeriod covers it.
//
// # Several instances
//
// Instances that each have a Store on one Redis, with one KeyPrefix, share
// every record, so a flow may move between them freely. For their
// throttling to count together too, give each a [Counter] on that Redis as
// its authserver Limits.Counter: [NewCounter] takes the same clients as
// [New], and each [Counter.Add] is one script on one key, whose expiry is
// the count's window.
//
// A Store is safe for concurrent use by many goroutines and many processes.
package redis
