package authserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/kunci/kunci/store"
)

// grantRefresh exchanges a refresh token for a new access token and a new
// refresh token (RFC 6749 §6). Every use rotates the refresh token, a
// compare-and-swap on its grant: the old one stops working, and presenting
// it again revokes the whole grant (RFC 9700 §4.14.2), unless
// Config.RefreshRotation.GracePeriod lets a client that lost the response
// retry.
//
// The token names its grant, and the grant keeps only its current refresh
// token and the one its last rotation retired, so any other refresh token
// of a live grant of the client is a retired one and a reuse, however many
// rotations ago it was retired and whether or not it has expired. A made-up
// token is one too: whoever authenticates as the grant's client and knows
// the grant's ID (any of its tokens shows it) can end the grant, which is
// the safe way to fail.
//
// A refresh of an OpenID Connect grant returns a new ID Token with the
// grant's subject and auth_time (OpenID Connect Core §12.2).
func (s *Server) grantRefresh(ctx context.Context, client store.Client, f form, requested, resources []string, jkt string) (IssuedToken, error) {
	token := f.get("refresh_token")
	if token == "" {
		return IssuedToken{}, oauthError(CodeInvalidRequest, "missing refresh_token")
	}
	grantID, ok := tokenGrant(token, prefixRefresh)
	if !ok {
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid refresh token")
	}
	g, err := s.store.Grant(ctx, grantID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid refresh token")
	case err != nil:
		return IssuedToken{}, unavailable(err)
	}
	if g.ClientID != client.ID {
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid refresh token")
	}
	// A bound grant's refresh token needs a proof by its key (RFC 9449
	// §5), checked before reuse detection: whoever holds a stolen token
	// but not the key can neither use it nor end the grant.
	if e := proofKeyIs(g.JKT, jkt); e != nil {
		return IssuedToken{}, e
	}
	if g.JKT == "" && jkt != "" && client.Public() {
		// A public client's refresh token answering a proof must be bound
		// to its key (§5), and a grant made without one cannot be bound
		// afterwards: the client refreshes without a proof, or signs in
		// again with one.
		return IssuedToken{}, oauthError(CodeInvalidDPoPProof, "the refresh token is not bound to a DPoP key: refresh without a proof, or authorize again with one")
	}
	// The new access token may carry fewer scopes; the refresh token keeps
	// the grant's scopes (RFC 6749 §6).
	scopes := g.Scopes
	if len(requested) > 0 {
		scopes = requested
	}
	scopeOK := subset(scopes, g.Scopes)
	hash := hashToken(token)
	if hash != g.RefreshHash {
		// Reuse is detected whatever else is wrong with the request.
		return s.refreshAgain(ctx, client, token, hash, g, scopes, scopeOK, resources, jkt)
	}
	if !scopeOK {
		return IssuedToken{}, oauthError(CodeInvalidScope, "scope exceeds the grant")
	}
	audience, e := narrowResources(resources, g.Audience)
	if e != nil {
		return IssuedToken{}, e
	}

	successor := newRefreshToken(s.refreshKey, grantID)
	if s.cfg.RefreshRotation.GracePeriod > 0 {
		successor = successorToken(s.refreshKey, token)
	}
	_, refreshTTL := s.cfg.lifetime(GrantRefreshToken)
	now := time.Now()
	next := store.RefreshState{
		Hash:      hashToken(successor),
		IssuedAt:  now,
		ExpiresAt: earliest(now.Add(refreshTTL), g.ExpiresAt),
	}
	rotated := g
	rotated.RefreshHash, rotated.RefreshIssuedAt, rotated.RefreshExpiresAt = next.Hash, next.IssuedAt, next.ExpiresAt
	rotated.PreviousRefreshHash, rotated.RotatedAt = hash, next.IssuedAt
	rotated.RefreshCount++
	// The access token is saved before the rotation, so that whenever the
	// rotation is stored, so is everything its response carries: a crash
	// between the two leaves the presented token current, and the client's
	// retry works.
	it, err := s.create(ctx, refreshedRequest(client, rotated, scopes, audience, now, jkt))
	if err != nil {
		return IssuedToken{}, err
	}
	before, err := s.store.RotateRefreshToken(ctx, grantID, hash, next)
	if errors.Is(err, store.ErrReused) && before.RefreshHash == next.Hash && before.PreviousRefreshHash == hash {
		// The grant already holds this very rotation: a store that retried
		// a write whose reply was lost, or, with the grace period, another
		// request that derived the same successor. Either way it is this
		// rotation, not a reuse.
		err = nil
	}
	if err != nil {
		s.discard(ctx, it)
	}
	switch {
	case errors.Is(err, store.ErrReused):
		// Another request rotated the token first.
		return s.refreshAgain(ctx, client, token, hash, before, scopes, true, resources, jkt)
	case errors.Is(err, store.ErrNotFound):
		// The token expired, or the grant ended.
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid refresh token")
	case err != nil:
		return IssuedToken{}, unavailable(err)
	}
	s.emit(ctx, Event{Kind: EventRefreshRotated, ClientID: client.ID, Subject: g.Subject, GrantID: grantID})
	s.issued(ctx, it)
	return withRefresh(it, rotated, successor), nil
}

// refreshAgain handles a refresh token of grant g that is not g's current
// one. Within the grace period the token that the last rotation retired is
// handed the same successor again, provided the successor has not been used
// (it is still g's current token); any other is a reuse, which revokes the
// grant.
func (s *Server) refreshAgain(ctx context.Context, client store.Client, token, hash string, g store.Grant, scopes []string, scopeOK bool, resources []string, jkt string) (IssuedToken, error) {
	grace := s.cfg.RefreshRotation.GracePeriod
	now := time.Now()
	if grace > 0 && scopeOK && hash == g.PreviousRefreshHash && now.Sub(g.RotatedAt) <= grace && now.Before(g.RefreshExpiresAt) {
		successor := successorToken(s.refreshKey, token)
		if subtle.ConstantTimeCompare([]byte(hashToken(successor)), []byte(g.RefreshHash)) == 1 {
			audience, e := narrowResources(resources, g.Audience)
			if e != nil {
				return IssuedToken{}, e
			}
			return s.mintRefreshed(ctx, client, g, successor, scopes, audience, now, jkt)
		}
	}
	if s.cfg.RefreshRotation.Key != nil && !refreshAuthentic(s.refreshKey, token) {
		// Not a token this server issued, only one that names the grant:
		// refused, and the grant lives on. Without a configured Key the
		// key is this process's own, and a token another instance or an
		// earlier process issued cannot be told from a made-up one, so
		// every retired-looking token counts as a reuse.
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid refresh token")
	}
	if err := s.revokeGrant(ctx, g.ID, client.ID, EventReuseDetected); err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid refresh token")
}

// mintRefreshed issues the access token that goes with refresh token
// successor, the current one of grant g.
func (s *Server) mintRefreshed(ctx context.Context, client store.Client, g store.Grant, successor string, scopes, audience []string, now time.Time, jkt string) (IssuedToken, error) {
	it, err := s.mint(ctx, refreshedRequest(client, g, scopes, audience, now, jkt))
	if err != nil {
		return IssuedToken{}, err
	}
	return withRefresh(it, g, successor), nil
}

// refreshedRequest asks for the access token of a refresh of grant g,
// bound to the DPoP key jkt when it is not "".
func refreshedRequest(client store.Client, g store.Grant, scopes, audience []string, now time.Time, jkt string) issueRequest {
	return issueRequest{client: client, grantType: GrantRefreshToken, grant: g, scopes: scopes, audience: audience, now: now, jkt: jkt}
}

// withRefresh adds refresh token successor, the current one of grant g, to it.
func withRefresh(it IssuedToken, g store.Grant, successor string) IssuedToken {
	it.RefreshToken = successor
	it.RefreshIssuedAt = g.RefreshIssuedAt
	it.RefreshExpiresAt = g.RefreshExpiresAt
	it.RefreshCount = g.RefreshCount
	return it
}
