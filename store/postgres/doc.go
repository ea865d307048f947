// Package postgres is a [store.Store] kept in PostgreSQL, for deployments in
// which several authorization server instances share one database.
//
// # Usage
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil { ... }
//	s := postgres.New(pool)
//	if err := s.Migrate(ctx); err != nil { ... } // creates or upgrades the tables
//	stop := s.StartPurger(ctx, 10*time.Minute, logger)
//	defer stop()
//	srv, err := authserver.New(cfg, s)
//
// [Store.Migrate] creates the tables (all named kunci_*) in the first schema
// of the connection's search_path; choose another schema with the pool's
// search_path runtime parameter. The SQL lives in the embedded schema
// directory of this module, one commented file per version; 0003 holds the
// tables of store contract v2 (grants, codes, access tokens, use-once keys),
// 0004 the columns OpenID Connect adds.
//
// # How the contracts are kept
//
// The package documentation of [store] lists the contracts every Store
// keeps. This one keeps them as follows.
//
//   - Expiry: every read compares expires_at with a time the Store passes in
//     from its own clock, so the server (which computes ExpiresAt in Go) and
//     the database agree on what has expired. Saving a record whose
//     ExpiresAt is zero or not in the future gives [store.ErrExpired] before
//     any query runs. Expired rows stay until [Store.Purge] deletes them.
//   - Grants: a grant is one row of kunci_grants, which holds its refresh
//     token state. Codes and access tokens reference it (with ON DELETE
//     CASCADE), are saved by a statement that checks the grant is live and
//     outlives them, and are read only while it is live.
//   - Single use: [Store.RotateRefreshToken] and [Store.ConsumeCode] are one
//     statement each: a SELECT … FOR UPDATE in a common table expression
//     locks the row and states every condition, and an UPDATE acts only if
//     all hold. Under read committed, a concurrent caller waits for the
//     lock and then sees the row as the winner left it, so exactly one of
//     any number of callers succeeds, and the statement also returns what
//     a loser needs ([store.ErrReused] with the record) in the same round
//     trip. [Store.ConsumeAuthRequest] is one DELETE … RETURNING,
//     [Store.UseOnce] one INSERT … ON CONFLICT.
//   - Reuse detection: rotation is a compare-and-swap on the grant's
//     refresh_hash, so any refresh token of a live grant that is not its
//     current one is a reuse (RFC 9700 §4.14.2), with one row per grant
//     however often it rotates. A consumed code keeps its row, with
//     consumed_at set, until it expires.
//   - Revocation: [Store.RevokeGrant] sets revoked_at on the grant's row,
//     which every read checks, and deletes its codes and access tokens. The
//     row stays as a tombstone that keeps the ID taken until the grant's
//     expires_at.
//   - Errors: a unique violation becomes [store.ErrAlreadyExists]; other
//     database errors are wrapped ("postgres: …: %w") and never reported as
//     success.
//
// A Store is safe for concurrent use by many goroutines and many processes.
package postgres
