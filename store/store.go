package store

import "context"

// Store is everything an authorization server keeps. The server requires the
// whole interface; it never asks a Store for optional capabilities.
//
// All methods must be safe for concurrent use. See the package documentation
// for the contracts every method keeps (expiry, single use, reuse detection,
// revocation, copies).
type Store interface {
	ClientStore
	CodeStore
	TokenStore
	InteractionStore
}

// ClientStore keeps registered clients (RFC 6749 §2).
type ClientStore interface {
	// Client returns the client with the given ID, or [ErrNotFound].
	Client(ctx context.Context, id string) (Client, error)

	// SaveClient registers c, replacing any client with the same ID. An empty
	// ID is [ErrInvalid].
	SaveClient(ctx context.Context, c Client) error
}

// CodeStore keeps authorization codes (RFC 6749 §4.1.2).
type CodeStore interface {
	// SaveCode stores c. A code whose hash is taken gives [ErrAlreadyExists];
	// one that has expired gives [ErrExpired].
	SaveCode(ctx context.Context, c AuthCode) error

	// ConsumeCode returns the live code with the given hash and, in the same
	// atomic step, marks it used. Of concurrent callers exactly one gets the
	// record and a nil error. Afterwards, until the code's ExpiresAt, every
	// caller gets the record together with [ErrReused], so the server can
	// revoke what the code was exchanged for. An unknown, expired or revoked
	// code gives [ErrNotFound].
	ConsumeCode(ctx context.Context, hash string) (AuthCode, error)
}

// TokenStore keeps access and refresh tokens and the grants they belong to.
type TokenStore interface {
	// SaveAccessToken stores t. A taken hash gives [ErrAlreadyExists]; an
	// expired token gives [ErrExpired].
	SaveAccessToken(ctx context.Context, t AccessToken) error

	// AccessToken returns the live access token with the given hash, or
	// [ErrNotFound] when it is unknown, expired, deleted or its grant revoked.
	AccessToken(ctx context.Context, hash string) (AccessToken, error)

	// SaveRefreshToken stores t, the first token of a family. A token without
	// a GrantID gives [ErrInvalid], a taken hash [ErrAlreadyExists], an expired
	// token [ErrExpired].
	SaveRefreshToken(ctx context.Context, t RefreshToken) error

	// RefreshToken returns the refresh token with the given hash. A rotated
	// token is still returned, with RotatedAt and SuccessorHash set, for as
	// long as any record of its grant is live; callers check
	// [RefreshToken.Rotated]. Unknown, expired or revoked tokens give
	// [ErrNotFound].
	RefreshToken(ctx context.Context, hash string) (RefreshToken, error)

	// RotateRefreshToken atomically checks that the token with oldHash is live,
	// retires it (setting RotatedAt and SuccessorHash), saves next in its place
	// and returns the old record as it was before the rotation. Of concurrent
	// callers exactly one succeeds. A token that was already rotated gives its
	// retired record together with [ErrReused]; an unknown, expired or revoked
	// one gives [ErrNotFound]. next must carry the old token's GrantID
	// ([ErrInvalid] otherwise) and must not have expired ([ErrExpired]).
	// A retired token stays recognisable as long as any record of its grant
	// is live (RFC 9700 §4.14.2).
	RotateRefreshToken(ctx context.Context, oldHash string, next RefreshToken) (RefreshToken, error)

	// DeleteToken removes the access or refresh token with the given hash.
	// Deleting an unknown token is not an error (RFC 7009 §2.2).
	DeleteToken(ctx context.Context, hash string) error

	// RevokeGrant makes every code, access token and refresh token of the
	// grant unreadable, including retired refresh tokens and records of the
	// grant saved after the call. Revoking an unknown grant is not an error.
	RevokeGrant(ctx context.Context, grantID string) error
}

// InteractionStore keeps what lives between the authorization endpoint, the
// host's login page and the consent page, so that several server instances
// sharing one store can serve one user's sign-in.
type InteractionStore interface {
	// SaveAuthRequest stores r under r.ID, replacing a request with that ID
	// (the server updates a request as the user signs in). An empty ID gives
	// [ErrInvalid]; an expired request gives [ErrExpired].
	SaveAuthRequest(ctx context.Context, r AuthRequest) error

	// AuthRequest returns the live pending request with the given ID, or
	// [ErrNotFound].
	AuthRequest(ctx context.Context, id string) (AuthRequest, error)

	// ConsumeAuthRequest returns the live pending request with the given ID and
	// removes it in the same atomic step, so that a consent decision is acted
	// on once. Of concurrent callers exactly one gets the record; the others
	// get [ErrNotFound].
	ConsumeAuthRequest(ctx context.Context, id string) (AuthRequest, error)

	// SaveConsent remembers c, replacing an earlier consent of the same
	// subject for the same client. An expired consent gives [ErrExpired].
	SaveConsent(ctx context.Context, c Consent) error

	// Consent returns the live consent subject gave clientID, or [ErrNotFound].
	Consent(ctx context.Context, subject, clientID string) (Consent, error)

	// DeleteConsent forgets the consent subject gave clientID. Forgetting an
	// unknown consent is not an error.
	DeleteConsent(ctx context.Context, subject, clientID string) error
}
