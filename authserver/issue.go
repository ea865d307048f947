package authserver

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

// IssuedToken describes tokens the server has just issued. The Go API
// ([Server.IssueToken]) returns it with the token strings; Hooks.TokenResponse
// receives it with AccessToken and RefreshToken left empty.
type IssuedToken struct {
	// AccessToken is the access token (RFC 6749 §5.1).
	AccessToken string
	// TokenType is always "Bearer" (RFC 6750).
	TokenType string
	// RefreshToken is the refresh token, empty when none was issued.
	RefreshToken string
	// Scopes are the scopes of the access token.
	Scopes []string
	// ClientID is the client the tokens were issued to; ClientName its name.
	ClientID   string
	ClientName string
	// Subject is the resource owner, empty for client_credentials.
	Subject string
	// GrantID names the grant the tokens belong to.
	GrantID string
	// GrantType is how the tokens were obtained.
	GrantType GrantType
	// IssuedAt and ExpiresAt bound the access token's life.
	IssuedAt  time.Time
	ExpiresAt time.Time
	// RefreshIssuedAt and RefreshExpiresAt bound the refresh token's life.
	RefreshIssuedAt  time.Time
	RefreshExpiresAt time.Time
	// RefreshCount counts how often the grant's refresh token was rotated.
	RefreshCount int
}

// issueRequest is what a grant hands to mint.
type issueRequest struct {
	client    store.Client
	grantType GrantType
	subject   string
	scopes    []string
	// grantScopes are the scopes of a new refresh token when they differ
	// from the access token's; nil means the same.
	grantScopes []string
	audience    []string
	grantID     string
	authTime    time.Time
	// refresh asks for a new refresh token family (code and password grants).
	refresh bool
}

// mint issues an access token, and a refresh token when asked for, and saves
// their hashes.
func (s *Server) mint(ctx context.Context, req issueRequest) (IssuedToken, error) {
	accessTTL, refreshTTL := s.cfg.lifetime(req.grantType)
	now := time.Now()
	it := IssuedToken{
		TokenType:  "Bearer",
		Scopes:     req.scopes,
		ClientID:   req.client.ID,
		ClientName: req.client.Name,
		Subject:    req.subject,
		GrantID:    req.grantID,
		GrantType:  req.grantType,
		IssuedAt:   now,
		ExpiresAt:  now.Add(accessTTL),
	}
	if err := s.saveAccess(ctx, &it, req); err != nil {
		return IssuedToken{}, err
	}
	if req.refresh {
		it.RefreshToken = newToken(prefixRefresh)
		it.RefreshIssuedAt = now
		it.RefreshExpiresAt = now.Add(refreshTTL)
		grantScopes := req.scopes
		if req.grantScopes != nil {
			grantScopes = req.grantScopes
		}
		err := s.store.SaveRefreshToken(ctx, store.RefreshToken{
			Hash:      hashToken(it.RefreshToken),
			GrantID:   req.grantID,
			ClientID:  req.client.ID,
			Subject:   req.subject,
			Scopes:    grantScopes,
			Audience:  req.audience,
			AuthTime:  req.authTime,
			IssuedAt:  now,
			ExpiresAt: it.RefreshExpiresAt,
		})
		if err != nil {
			return IssuedToken{}, unavailable(err)
		}
	}
	s.emit(ctx, Event{Kind: EventTokenIssued, ClientID: it.ClientID, Subject: it.Subject,
		GrantID: it.GrantID, GrantType: it.GrantType, Scopes: it.Scopes})
	return it, nil
}

// saveAccess creates the access token of it, opaque or an RFC 9068 JWT, and
// saves its hash (for a JWT, the hash of its jti) with the host's extra
// claims, so that revocation and introspection work on both kinds.
func (s *Server) saveAccess(ctx context.Context, it *IssuedToken, req issueRequest) error {
	rec := store.AccessToken{
		GrantID:   it.GrantID,
		ClientID:  it.ClientID,
		Subject:   it.Subject,
		Scopes:    it.Scopes,
		Audience:  req.audience,
		IssuedAt:  it.IssuedAt,
		ExpiresAt: it.ExpiresAt,
	}
	extra := s.extraClaims(ctx, *it)
	if extra != nil {
		claims, err := json.Marshal(extra)
		if err != nil {
			return serverError(fmt.Errorf("extra claims: %w", err))
		}
		rec.Claims = claims
	}
	if s.useJWT(req.client, req.audience) {
		if len(rec.Audience) == 0 {
			rec.Audience = []string{s.defaultResource}
		}
		token, jti, err := s.signAccessJWT(it, rec.Audience, req.authTime, extra)
		if err != nil {
			return serverError(fmt.Errorf("signing access token: %w", err))
		}
		it.AccessToken, rec.Hash = token, jtiHash(jti)
	} else {
		it.AccessToken = newToken(prefixAccess)
		rec.Hash = hashToken(it.AccessToken)
	}
	if err := s.store.SaveAccessToken(ctx, rec); err != nil {
		return unavailable(err)
	}
	return nil
}
