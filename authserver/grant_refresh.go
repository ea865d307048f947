package authserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/kunci/kunci/store"
)

// grantRefresh exchanges a refresh token for a new access token and a new
// refresh token (RFC 6749 §6). Every use rotates the refresh token: the old
// one stops working, and presenting it again revokes the whole grant
// (RFC 9700 §4.14.2), unless Config.RefreshRotation.GracePeriod lets a client that
// lost the response retry.
func (s *Server) grantRefresh(ctx context.Context, client store.Client, f form, requested, resources []string) (IssuedToken, error) {
	token := f.get("refresh_token")
	if token == "" {
		return IssuedToken{}, oauthError(CodeInvalidRequest, "missing refresh_token")
	}
	if !hasPrefix(token, prefixRefresh) {
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid refresh token")
	}
	hash := hashToken(token)
	rec, err := s.store.RefreshToken(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid refresh token")
	case err != nil:
		return IssuedToken{}, unavailable(err)
	}
	if rec.ClientID != client.ID {
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid refresh token")
	}
	// The new access token may carry fewer scopes; the refresh token keeps
	// the grant's scopes (RFC 6749 §6).
	scopes := rec.Scopes
	if len(requested) > 0 {
		scopes = requested
	}
	scopeOK := subset(scopes, rec.Scopes)
	if rec.Rotated() {
		// Reuse is detected whatever else is wrong with the request.
		return s.refreshAgain(ctx, client, token, rec, scopes, scopeOK)
	}
	if !scopeOK {
		return IssuedToken{}, oauthError(CodeInvalidScope, "scope exceeds the grant")
	}
	audience, e := narrowResources(resources, rec.Audience)
	if e != nil {
		return IssuedToken{}, e
	}

	successor := newToken(prefixRefresh)
	if s.cfg.RefreshRotation.GracePeriod > 0 {
		successor = successorToken(s.refreshKey, token)
	}
	_, refreshTTL := s.cfg.lifetime(GrantRefreshToken)
	now := time.Now()
	next := store.RefreshToken{
		Hash:         hashToken(successor),
		GrantID:      rec.GrantID,
		ClientID:     rec.ClientID,
		Subject:      rec.Subject,
		Scopes:       rec.Scopes,
		Audience:     rec.Audience,
		RefreshCount: rec.RefreshCount + 1,
		AuthTime:     rec.AuthTime,
		IssuedAt:     now,
		ExpiresAt:    now.Add(refreshTTL),
	}
	old, err := s.store.RotateRefreshToken(ctx, hash, next)
	switch {
	case errors.Is(err, store.ErrReused):
		// Another request rotated the token first.
		return s.refreshAgain(ctx, client, token, old, scopes, true)
	case errors.Is(err, store.ErrNotFound):
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid refresh token")
	case err != nil:
		return IssuedToken{}, unavailable(err)
	}
	s.emit(ctx, Event{Kind: EventRefreshRotated, ClientID: client.ID, Subject: rec.Subject, GrantID: rec.GrantID})
	return s.mintRefreshed(ctx, client, next, successor, scopes, audience)
}

// refreshAgain handles a rotated refresh token presented again. Within the
// grace period it hands out the same successor again, provided the successor
// has not been used; otherwise it revokes the grant.
func (s *Server) refreshAgain(ctx context.Context, client store.Client, token string, rec store.RefreshToken, scopes []string, scopeOK bool) (IssuedToken, error) {
	if grace := s.cfg.RefreshRotation.GracePeriod; grace > 0 && scopeOK && time.Since(rec.RotatedAt) <= grace {
		successor := successorToken(s.refreshKey, token)
		h := hashToken(successor)
		if subtle.ConstantTimeCompare([]byte(h), []byte(rec.SuccessorHash)) == 1 {
			next, err := s.store.RefreshToken(ctx, h)
			switch {
			case err == nil && !next.Rotated():
				return s.mintRefreshed(ctx, client, next, successor, scopes, next.Audience)
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return IssuedToken{}, unavailable(err)
			}
		}
	}
	if err := s.revokeGrant(ctx, rec.GrantID, client.ID, EventReuseDetected); err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid refresh token")
}

// mintRefreshed issues the access token that goes with refresh token next.
func (s *Server) mintRefreshed(ctx context.Context, client store.Client, next store.RefreshToken, successor string, scopes, audience []string) (IssuedToken, error) {
	it, err := s.mint(ctx, issueRequest{
		client:    client,
		grantType: GrantRefreshToken,
		subject:   next.Subject,
		scopes:    scopes,
		audience:  audience,
		grantID:   next.GrantID,
		authTime:  next.AuthTime,
	})
	if err != nil {
		return IssuedToken{}, err
	}
	it.RefreshToken = successor
	it.RefreshIssuedAt = next.IssuedAt
	it.RefreshExpiresAt = next.ExpiresAt
	it.RefreshCount = next.RefreshCount
	return it, nil
}
