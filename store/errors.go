package store

import "errors"

// Sentinel errors returned by every [Store] implementation. Implementations may
// wrap them; match them with [errors.Is]. With any error but ErrReused a
// method returns the zero record.
var (
	// ErrNotFound reports that no live record matches: it never existed, it
	// expired, it was deleted or consumed, or its grant is not live.
	ErrNotFound = errors.New("store: not found")

	// ErrAlreadyExists reports a save whose key is already taken.
	ErrAlreadyExists = errors.New("store: already exists")

	// ErrExpired reports a save of a record whose ExpiresAt is zero or has
	// already passed. Such a record would be unreadable, so it is refused
	// rather than silently kept (or, worse, kept forever).
	ErrExpired = errors.New("store: record already expired")

	// ErrReused reports that an authorization code was already consumed, a
	// refresh token is not its grant's current one, or a use-once key was
	// already used. A code or grant comes with it, so that the server can
	// revoke the grant (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
	ErrReused = errors.New("store: already used")

	// ErrInvalid reports a record or argument that breaks the contract of
	// the method it was given to, such as a code without a grant ID or a
	// refresh token that would outlive its grant, or a key or text the
	// store cannot hold (a database may refuse a NUL byte); such a key names
	// no record.
	ErrInvalid = errors.New("store: invalid record")
)
