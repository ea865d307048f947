package authserver

import (
	"context"
	"errors"
	"time"

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
	rotated bool // a refresh token that the last rotation of its grant retired
}

// findToken looks up an access token (opaque or JWT) or a refresh token by
// the string a client presented. found is false for anything the store does
// not hold; err is a store failure.
//
// A refresh token is found in its grant: the grant's current refresh token
// while it lives, or the one the grant's last rotation retired, which the
// grant still names exactly. Any other refresh token of the grant is one
// that only the token endpoint's reuse detection acts on.
func (s *Server) findToken(ctx context.Context, token string) (t storedToken, found bool, err error) {
	if hash, ok := s.accessHash(token); ok {
		rec, err := s.store.AccessToken(ctx, hash)
		if err != nil {
			return t, false, ignoreNotFound(err)
		}
		return storedToken{hash: hash, info: accessInfo(rec), grantID: rec.GrantID, claims: rec.Claims}, true, nil
	}
	grantID, ok := tokenGrant(token, prefixRefresh)
	if !ok {
		return t, false, nil
	}
	g, err := s.store.Grant(ctx, grantID)
	if err != nil {
		return t, false, ignoreNotFound(err)
	}
	hash := hashToken(token)
	current := hash == g.RefreshHash && time.Now().Before(g.RefreshExpiresAt)
	if !current && hash != g.PreviousRefreshHash {
		return t, false, nil
	}
	return storedToken{
		hash: hash,
		info: TokenInfo{Subject: g.Subject, ClientID: g.ClientID, Scopes: g.Scopes,
			Audience: g.Audience, ExpiresAt: g.RefreshExpiresAt, IssuedAt: g.RefreshIssuedAt},
		grantID: g.ID,
		refresh: true,
		rotated: !current,
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
