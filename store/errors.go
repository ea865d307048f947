package store

import "errors"

// Sentinel errors returned by every [Store] implementation. Implementations may
// wrap them; match them with [errors.Is].
var (
	// ErrNotFound reports that no live record matches: it never existed, it
	// expired, it was deleted, or its grant was revoked.
	ErrNotFound = errors.New("store: not found")

	// ErrAlreadyExists reports a save whose key is already taken.
	ErrAlreadyExists = errors.New("store: already exists")

	// ErrExpired reports a save of a record whose ExpiresAt is zero or has
	// already passed. Such a record would be unreadable, so it is refused
	// rather than silently kept (or, worse, kept forever).
	ErrExpired = errors.New("store: record already expired")

	// ErrReused reports that an authorization code was already consumed or a
	// refresh token was already rotated. It comes with the earlier record so
	// that the server can revoke the grant (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
	ErrReused = errors.New("store: already used")

	// ErrInvalid reports a record that breaks the contract of the method it was
	// given to, such as a refresh token without a grant ID or a successor that
	// belongs to another grant, or a key or text the store cannot hold (a
	// database may refuse a NUL byte); such a key names no record.
	ErrInvalid = errors.New("store: invalid record")
)
