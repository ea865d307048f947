// Package store defines the records an OAuth 2.0 authorization server keeps,
// the [Store] interface through which it keeps them, and [Memory], an
// in-memory implementation built on go-cache.
//
// # Secrets never reach a store
//
// Authorization codes, access tokens, refresh tokens and client secrets cross
// the [Store] interface only as hashes that the server computes (SHA-256,
// encoded with unpadded base64url). A store that leaks its contents leaks no
// usable credential, as the Apigee guidance the project started from asks
// ("tokens are stored hashed").
//
// # Contracts every implementation keeps
//
//   - Expiry: every record carries an absolute ExpiresAt. A record whose
//     ExpiresAt has passed is indistinguishable from a missing one on every
//     read ([ErrNotFound]), whether or not any cleanup has run. Saving a record
//     that has already expired (or has no expiry) fails with [ErrExpired].
//   - Single use: [CodeStore.ConsumeCode] and [TokenStore.RotateRefreshToken]
//     are atomic. Of any number of concurrent callers exactly one succeeds.
//   - Reuse detection: a consumed code and a rotated refresh token stay
//     recognisable, reported with [ErrReused], so that the server can revoke
//     the grant they belong to (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
//   - Revocation: [TokenStore.RevokeGrant] makes every code, access token and
//     refresh token of a grant unreadable, including records of that grant
//     saved afterwards.
//   - Values: records are values. A store keeps its own copy of what it is
//     given and hands out copies, so a caller that mutates a record changes
//     nothing stored.
//   - Times: a store may drop a time's location and monotonic reading and
//     round it to the microsecond; compare times with [time.Time.Equal].
//   - Errors: implementations may wrap the sentinel errors; callers match them
//     with [errors.Is]. Any other error is a system failure, which the server
//     never reports to a client as success.
//
// # Size
//
// Store has seventeen methods in four small interfaces, a few more than a
// dozen because each atomic step is one method (consume a code, rotate a
// refresh token, take a pending request) and the browser side keeps its
// state here too, so that instances sharing a database can serve one user.
// The server uses every method; there are no optional capabilities.
//
// The storetest package holds the conformance suite that proves a Store keeps
// these contracts; see its documentation for the three-line test.
package store
