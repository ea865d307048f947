// Package store defines the records an OAuth 2.0 authorization server keeps,
// the [Store] interface through which it keeps them, and [Memory], an
// in-memory implementation built on go-cache.
//
// # Grants
//
// Everything issued from one authorization belongs to one [Grant]: what the
// resource owner approved (client, subject, scopes, resources), the session
// data the token endpoint needs again on every refresh (auth_time, ACR, AMR,
// sid, nonce, the claims request, the DPoP key thumbprint), and the state of
// the grant's refresh token. A grant has an absolute lifetime, its
// ExpiresAt, and nothing of it outlives it: codes and access tokens of a
// grant may not expire later than the grant, and are readable only while
// the grant is live. [GrantStore.RevokeGrant] ends a grant and everything of
// it at once. Every rule is therefore expressible with one expiry per key,
// as a key-value store with per-key TTLs keeps it.
//
// Refresh tokens are not records of their own. A grant holds the hash of its
// current refresh token and of the one its last rotation retired, and
// [GrantStore.RotateRefreshToken] is a compare-and-swap on the grant. The
// server carries the grant's ID in the opaque string of every code and
// refresh token it issues (a kind prefix, the grant ID, a dot and 256 random
// bits: "krt_<grant ID>.<random>"), so it knows the grant of any such token
// it is shown and every lookup of a code or refresh token is given the
// grant ID: a presented refresh token that names a live
// grant but is not its current one is a reuse (RFC 9700 §4.14.2). A grant so takes constant storage
// however often it is refreshed (one record, where keeping every retired
// token kept 200,000 after 200,000 rotations), and every retired token a
// client could still hold is recognised, after any number of rotations and
// past its own expiry, for as long as the grant lives. A Redis Cluster store
// keeps a grant and its codes under the grant's hash tag, so that one slot
// serves every step of a flow.
//
// # Secrets never reach a store
//
// Authorization codes, access tokens, refresh tokens and client secrets cross
// the [Store] interface only as hashes that the server computes (SHA-256,
// encoded with unpadded base64url). A store that leaks its contents leaks no
// usable credential, as the Apigee guidance the project started from asks
// ("tokens are stored hashed").
//
// # Keys
//
//   - A client is named by its ID, a grant by its ID, a pending request by
//     its ID, a consent by its (subject, client ID) pair and a use-once
//     record by the caller's key.
//   - A code is named by its grant's ID and its hash together; an access
//     token by its hash alone. Codes and access tokens are separate key
//     spaces: a code and an access token may share a hash. A refresh
//     token's hash lives only inside its grant and is only ever compared
//     with the one grant a call names. (The server hashes the whole string
//     of a code or token, kind prefix included, so its codes, access tokens
//     and refresh tokens never share a hash; a store must not rely on it.)
//   - Lookups are exact: a key matches only the byte-for-byte equal key
//     (no case folding, no prefixes, no normalisation), the parts of a
//     pair never run into each other, and the empty key names nothing.
//
// # Contracts every implementation keeps
//
//   - Expiry: every record carries an absolute ExpiresAt. A record whose
//     ExpiresAt has passed is indistinguishable from a missing one on every
//     read ([ErrNotFound]), whether or not any cleanup has run. Saving a record
//     whose ExpiresAt is zero or not in the future fails with [ErrExpired].
//     A replaced record (a pending request, a consent) takes the
//     replacement's ExpiresAt.
//   - Clock: a store judges expiry by its own clock. [Memory] uses
//     [time.Now]; the PostgreSQL store compares with the application's
//     clock, passed to each query, so that the server and the database
//     agree; the Redis store uses the Redis server's TIME inside each
//     script. A store's clock may lag the server's by up to two seconds and
//     lead it by at most 20 ms (storetest allows exactly that); hosts that
//     run the server and the store on different machines keep their clocks
//     in sync (NTP). Every other time is the caller's and is kept as given:
//     a store stamps no time of its own (a rotation's RotatedAt is
//     next.IssuedAt).
//   - Single use: [CodeStore.ConsumeCode], [GrantStore.RotateRefreshToken],
//     [InteractionStore.ConsumeAuthRequest] and [ReplayStore.UseOnce] are
//     atomic: of any number of concurrent callers exactly one succeeds, and
//     every other caller gets the result a later call would get.
//   - Reuse detection: a consumed code stays recognisable until its
//     ExpiresAt, and a refresh token that is not its grant's current one
//     while the grant lives; both are reported with [ErrReused] and the
//     code or grant, so that the server can revoke the grant (RFC 6749
//     §4.1.2, RFC 9700 §4.14.2).
//   - Revocation: [GrantStore.RevokeGrant] makes the grant and every code and
//     access token of it unreadable, including codes and access tokens saved
//     afterwards, and keeps its ID taken until the grant's ExpiresAt.
//   - Values: records go in and out as copies. A store keeps its own copy of
//     what it is given and hands out copies, records returned together with
//     [ErrReused] included, so that a caller that mutates a record changes
//     nothing stored.
//   - Times: a store may drop a time's location and monotonic reading and
//     round it to the microsecond; compare times with [time.Time.Equal].
//   - Errors: implementations may wrap the sentinel errors; callers match them
//     with [errors.Is]. With any error but [ErrReused] the returned record is
//     the zero value. Any other error is a system failure, which the server
//     never reports to a client as success.
//   - Concurrency: every method is safe for concurrent use.
//
// # Size
//
// Store has nineteen methods in six small interfaces, more than a dozen
// because each atomic step is one method (consume a code, rotate a refresh
// token, take a pending request, use a value once), codes can be read before
// they are spent, and the browser side keeps its state here too, so that
// instances sharing a database can serve one user. The server uses every
// method; there are no optional capabilities.
//
// The storetest package holds the conformance suite that proves a Store keeps
// these contracts; see its documentation for the three-line test.
package store
