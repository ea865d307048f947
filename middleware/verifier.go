package middleware

import (
	"context"
	"errors"
)

// ErrInvalidToken is the error a [Verifier] wraps when the token itself is
// not acceptable: malformed, unknown, expired, revoked or issued for someone
// else. [Authenticate] answers such a token with 401 and
// error="invalid_token" (RFC 6750 §3.1). Match it with [errors.Is].
var ErrInvalidToken = errors.New("middleware: invalid token")

// Verifier checks bearer access tokens for a resource server (RFC 6750 §1:
// the resource server "validates" the token it is presented).
//
// VerifyAccessToken returns the info of a valid access token. An invalid,
// expired, revoked or unknown token gives an error wrapping [ErrInvalidToken];
// any other error is a system failure (a store that is down, an introspection
// endpoint that cannot be reached), which [Authenticate] answers with 503
// without calling the next handler. A Verifier must never report success
// for a token it could not check.
//
// Implementations must be safe for concurrent use, must honour ctx, and must
// not put the token itself into the errors they return (they are logged).
// It must not return a TokenInfo for a token it knows has expired. The
// returned TokenInfo belongs to the caller.
type Verifier interface {
	VerifyAccessToken(ctx context.Context, token string) (TokenInfo, error)
}

// VerifierFunc adapts an ordinary function to the [Verifier] interface, as
// [net/http.HandlerFunc] does for handlers. It is handy for tests and for
// wrapping a lookup the host already has.
type VerifierFunc func(ctx context.Context, token string) (TokenInfo, error)

// VerifyAccessToken calls f(ctx, token).
func (f VerifierFunc) VerifyAccessToken(ctx context.Context, token string) (TokenInfo, error) {
	return f(ctx, token)
}
