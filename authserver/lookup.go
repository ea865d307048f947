package authserver

import (
	"context"
	"errors"

	"github.com/kunci/kunci/store"
)

// storedToken is an access or refresh token that the store knows, as the
// revocation and introspection endpoints see it.
type storedToken struct {
	hash    string
	info    TokenInfo
	grantID string
	claims  []byte // extra claims of an access token
	refresh bool
	rotated bool // a refresh token already replaced by its successor
}

// findToken looks up an access token (opaque or JWT) or a refresh token by
// the string a client presented. found is false for anything the store does
// not hold; err is a store failure.
func (s *Server) findToken(ctx context.Context, token string) (t storedToken, found bool, err error) {
	if hash, ok := s.accessHash(token); ok {
		rec, err := s.store.AccessToken(ctx, hash)
		if err != nil {
			return t, false, ignoreNotFound(err)
		}
		return storedToken{hash: hash, info: accessInfo(rec), grantID: rec.GrantID, claims: rec.Claims}, true, nil
	}
	if !hasPrefix(token, prefixRefresh) {
		return t, false, nil
	}
	hash := hashToken(token)
	rec, err := s.store.RefreshToken(ctx, hash)
	if err != nil {
		return t, false, ignoreNotFound(err)
	}
	return storedToken{
		hash: hash,
		info: TokenInfo{Subject: rec.Subject, ClientID: rec.ClientID, Scopes: rec.Scopes,
			Audience: rec.Audience, ExpiresAt: rec.ExpiresAt, IssuedAt: rec.IssuedAt},
		grantID: rec.GrantID,
		refresh: true,
		rotated: rec.Rotated(),
	}, true, nil
}

// ignoreNotFound turns store.ErrNotFound into nil and any other store error
// into a 503.
func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return unavailable(err)
}
