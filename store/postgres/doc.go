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
// directory of this module, one commented file per version.
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
//   - Single use: [Store.ConsumeCode] is one UPDATE … RETURNING that only
//     matches an unconsumed code; [Store.RotateRefreshToken] is one statement
//     that retires the old token (UPDATE … RETURNING) and inserts its
//     successor only if the UPDATE matched. PostgreSQL's row locks make
//     exactly one of any number of concurrent callers match.
//   - Reuse detection: a consumed code keeps its row, with consumed_at set,
//     until it expires. A rotated refresh token keeps its row, with
//     rotated_at and successor_hash set, and stays readable while any code,
//     access token or live refresh token of its grant is live
//     (RFC 9700 §4.14.2).
//   - Revocation: [Store.RevokeGrant] records the grant in
//     kunci_revoked_grants and deletes its codes and tokens. Every read checks
//     that table, so records of the grant saved later stay unreadable.
//   - Errors: a unique violation becomes [store.ErrAlreadyExists]; other
//     database errors are wrapped ("postgres: …: %w") and never reported as
//     success.
//
// A Store is safe for concurrent use by many goroutines and many processes.
package postgres
