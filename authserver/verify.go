package authserver

import (
	"context"
	"errors"

	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

// TokenInfo describes a verified access token; it is the middleware's type,
// so that a *Server is a [middleware.Verifier].
type TokenInfo = middleware.TokenInfo

// VerifyAccessToken checks an access token issued by this server, in the same
// process: one hash and one store lookup (for a JWT, a signature check
// first). It implements
// [middleware.Verifier]: an unknown, expired or revoked token gives an error
// wrapping [middleware.ErrInvalidToken]; a store failure is returned as is.
func (s *Server) VerifyAccessToken(ctx context.Context, token string) (TokenInfo, error) {
	rec, err := s.accessRecord(ctx, token)
	if err != nil {
		return TokenInfo{}, err
	}
	return accessInfo(rec), nil
}

// accessRecord returns the stored record of an access token, with the
// errors of VerifyAccessToken.
func (s *Server) accessRecord(ctx context.Context, token string) (store.AccessToken, error) {
	hash, ok := s.accessHash(token)
	if !ok {
		return store.AccessToken{}, middleware.ErrInvalidToken
	}
	rec, err := s.store.AccessToken(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.AccessToken{}, middleware.ErrInvalidToken
	case err != nil:
		return store.AccessToken{}, err
	}
	return rec, nil
}

// accessInfo converts a stored access token to a TokenInfo.
func accessInfo(rec store.AccessToken) TokenInfo {
	return TokenInfo{
		Subject:   rec.Subject,
		ClientID:  rec.ClientID,
		Scopes:    rec.Scopes,
		Audience:  rec.Audience,
		ExpiresAt: rec.ExpiresAt,
		IssuedAt:  rec.IssuedAt,
		JKT:       rec.JKT,
	}
}

var _ middleware.Verifier = (*Server)(nil)
