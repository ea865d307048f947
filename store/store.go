package store

import (
	"context"
	"time"
)

// Store is everything an authorization server keeps. The server requires the
// whole interface; it never asks a Store for optional capabilities.
//
// All methods must be safe for concurrent use. See the package documentation
// for the contracts every method keeps (keys, expiry and the clock, single
// use, reuse detection, revocation, copies, errors).
type Store interface {
	ClientStore
	GrantStore
	CodeStore
	AccessTokenStore
	InteractionStore
	ReplayStore
}

// ClientStore keeps registered clients (RFC 6749 §2).
type ClientStore interface {
	// Client returns the client with the given ID, or [ErrNotFound].
	Client(ctx context.Context, id string) (Client, error)

	// SaveClient registers c, replacing any client with the same ID. An empty
	// ID is [ErrInvalid].
	SaveClient(ctx context.Context, c Client) error
}

// GrantStore keeps grants, the families of everything issued from one
// authorization, and their refresh tokens (RFC 6749 §1.5, RFC 9700
// §4.14.2).
type GrantStore interface {
	// SaveGrant stores g as given, refresh state included. Checked in this
	// order: an empty ID or ClientID gives [ErrInvalid]; an ExpiresAt that
	// is zero or not in the future gives [ErrExpired]; a RefreshHash whose
	// RefreshExpiresAt is zero or after ExpiresAt gives [ErrInvalid]; an ID
	// that is taken gives [ErrAlreadyExists]. An ID stays taken until the
	// ExpiresAt of the grant that had it, whether or not that grant was
	// revoked: a revoked grant's records never come back under a new grant.
	SaveGrant(ctx context.Context, g Grant) error

	// Grant returns the live grant with the given ID, or [ErrNotFound] when
	// it is unknown, expired or revoked. A grant whose refresh token has
	// expired is still live.
	Grant(ctx context.Context, id string) (Grant, error)

	// RotateRefreshToken installs next as the refresh token of grant
	// grantID, provided that oldHash is its current RefreshHash: a
	// compare-and-swap, atomic with respect to every other method. Of
	// concurrent callers with the same oldHash exactly one succeeds.
	//
	// An oldHash of "" gives a grant that has no refresh token its first
	// one: RefreshHash, RefreshIssuedAt and RefreshExpiresAt are set from
	// next, the rest is kept. Any other oldHash rotates: on top of that,
	// PreviousRefreshHash becomes oldHash, RotatedAt becomes next.IssuedAt
	// (the caller's clock, so a store stamps no time of its own) and
	// RefreshCount grows by one. On success it returns the grant as it was
	// before the call.
	//
	// Checked in this order:
	//   - the grant is unknown, expired or revoked: [ErrNotFound];
	//   - oldHash is not the grant's current RefreshHash ("" when it has
	//     none): the grant as stored, together with [ErrReused]. This is
	//     how reuse of any retired refresh token is detected (RFC 9700
	//     §4.14.2), after any number of rotations and past the retired
	//     token's own expiry, for as long as the grant lives;
	//   - oldHash is not "" and the current refresh token has expired:
	//     [ErrNotFound];
	//   - next.Hash is empty or the current RefreshHash, next.IssuedAt is
	//     zero, or next.ExpiresAt is after the grant's ExpiresAt (the server
	//     caps it): [ErrInvalid];
	//   - next.ExpiresAt is zero or not in the future: [ErrExpired].
	RotateRefreshToken(ctx context.Context, grantID, oldHash string, next RefreshState) (Grant, error)

	// RevokeGrant ends the grant at once: the grant and every code and
	// access token of it become unreadable, including codes and access
	// tokens saved after the call, and the ID cannot be saved again until
	// the grant's ExpiresAt (RFC 7009 §2.1, RFC 6749 §4.1.2). Revoking an
	// unknown, expired or revoked grant is not an error and changes
	// nothing: records of a grant that is not live are never readable.
	RevokeGrant(ctx context.Context, id string) error
}

// CodeStore keeps authorization codes (RFC 6749 §4.1.2). A code is named by
// its grant's ID and its hash together.
type CodeStore interface {
	// SaveCode stores c. Checked in this order: an empty Hash or GrantID
	// gives [ErrInvalid]; an ExpiresAt that is zero or not in the future
	// gives [ErrExpired]; a grant that is not live gives [ErrNotFound]; an
	// ExpiresAt after the grant's gives [ErrInvalid]; a live code with the
	// same grant and hash gives [ErrAlreadyExists], consumed or not (an
	// expired code's key is free).
	SaveCode(ctx context.Context, c AuthCode) error

	// Code returns the code of grant grantID with the given hash without
	// consuming it, so that the server can check the client, redirect URI
	// and PKCE verifier before it spends the code. A live unused code comes
	// with a nil error; a consumed one, until its ExpiresAt, together with
	// [ErrReused]. An unknown or expired code, or one whose grant is not
	// live, gives [ErrNotFound].
	Code(ctx context.Context, grantID, hash string) (AuthCode, error)

	// ConsumeCode returns the live code of grant grantID with the given hash
	// and, in the same atomic step, marks it used. Of concurrent callers
	// exactly one gets the record and a nil error. Afterwards, until the
	// code's ExpiresAt, every caller gets the record together with
	// [ErrReused], so that the server can revoke the grant (RFC 6749
	// §4.1.2). An unknown or expired code, or one whose grant is not live,
	// gives [ErrNotFound].
	ConsumeCode(ctx context.Context, grantID, hash string) (AuthCode, error)
}

// AccessTokenStore keeps access tokens (RFC 6749 §1.4), named by hash alone.
// Access tokens do not carry their grant's ID (resource servers, which see
// them, need not learn it; a JWT access token is named by the hash of its
// jti), so a lookup is given the hash only and reads the token and then its
// grant.
type AccessTokenStore interface {
	// SaveAccessToken stores t. Checked in this order: an empty Hash gives
	// [ErrInvalid]; an ExpiresAt that is zero or not in the future gives
	// [ErrExpired]; a GrantID that names no live grant gives [ErrNotFound];
	// an ExpiresAt after the grant's gives [ErrInvalid]; a hash a live
	// access token holds gives [ErrAlreadyExists] (an expired or deleted
	// token's hash is free). A token without a GrantID needs no grant: the
	// server issues client_credentials tokens so, as nothing but the token
	// is there to revoke; every other token it issues has a grant.
	SaveAccessToken(ctx context.Context, t AccessToken) error

	// AccessToken returns the live access token with the given hash, or
	// [ErrNotFound] when it is unknown, expired or deleted, or its grant is
	// not live.
	AccessToken(ctx context.Context, hash string) (AccessToken, error)

	// DeleteAccessToken removes the access token with the given hash.
	// Deleting an unknown token is not an error (RFC 7009 §2.2).
	DeleteAccessToken(ctx context.Context, hash string) error
}

// InteractionStore keeps what lives between the authorization endpoint, the
// host's login page and the consent page, so that several server instances
// sharing one store can serve one user's sign-in. Pushed authorization
// requests (RFC 9126) are kept here too, as AuthRequests with Pushed set.
type InteractionStore interface {
	// SaveAuthRequest stores r under r.ID, replacing a request with that ID
	// (the server updates a request as the user signs in); the replacement's
	// ExpiresAt is the one that counts. An empty ID gives [ErrInvalid]; an
	// ExpiresAt that is zero or not in the future gives [ErrExpired].
	SaveAuthRequest(ctx context.Context, r AuthRequest) error

	// AuthRequest returns the live pending request with the given ID, or
	// [ErrNotFound].
	AuthRequest(ctx context.Context, id string) (AuthRequest, error)

	// ConsumeAuthRequest returns the live pending request with the given ID
	// and removes it in the same atomic step, so that a consent decision or
	// a pushed request is acted on once (RFC 9126 §4). Of concurrent callers
	// exactly one gets the record; the others get [ErrNotFound].
	ConsumeAuthRequest(ctx context.Context, id string) (AuthRequest, error)

	// SaveConsent remembers c, replacing an earlier consent of the same
	// subject for the same client; the replacement's ExpiresAt is the one
	// that counts. An empty Subject or ClientID gives [ErrInvalid]; an
	// ExpiresAt that is zero or not in the future gives [ErrExpired].
	SaveConsent(ctx context.Context, c Consent) error

	// Consent returns the live consent subject gave clientID, or
	// [ErrNotFound]. The pair is matched exactly: no other pair of strings
	// names the same consent, whatever characters they hold.
	Consent(ctx context.Context, subject, clientID string) (Consent, error)

	// DeleteConsent forgets the consent subject gave clientID. Forgetting an
	// unknown consent is not an error.
	DeleteConsent(ctx context.Context, subject, clientID string) error
}

// ReplayStore remembers values that may be used only once within a
// lifetime: a DPoP proof's jti (RFC 9449 §11.1), a client assertion's jti
// (RFC 7523 §3), a pushed request_uri (RFC 9126 §2.2).
type ReplayStore interface {
	// UseOnce records key until expiresAt. The first call for a key returns
	// nil; every later call before expiresAt returns [ErrReused]. Of
	// concurrent callers exactly one gets nil. Once expiresAt has passed the
	// key is forgotten and a call records it anew. The key space is the
	// caller's: prefix keys by purpose ("dpop:" + jti). An empty key gives
	// [ErrInvalid]; an expiresAt that is zero or not in the future gives
	// [ErrExpired], and records nothing.
	UseOnce(ctx context.Context, key string, expiresAt time.Time) error
}
