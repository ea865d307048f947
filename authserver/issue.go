package authserver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/kunci/kunci/store"
)

// IssuedToken describes tokens the server has just issued. The Go API
// ([Server.IssueToken]) returns it with the token strings; Hooks.TokenResponse
// receives it with AccessToken, RefreshToken and IDToken left empty.
type IssuedToken struct {
	// AccessToken is the access token (RFC 6749 §5.1).
	AccessToken string
	// TokenType is "Bearer" (RFC 6750), or "DPoP" for an access token
	// bound to a DPoP key (RFC 9449 §5).
	TokenType string
	// RefreshToken is the refresh token, empty when none was issued.
	RefreshToken string
	// IDToken is the OpenID Connect ID Token (OpenID Connect Core §2),
	// empty when none was issued.
	IDToken string
	// Scopes are the scopes of the access token.
	Scopes []string
	// ClientID is the client the tokens were issued to; ClientName its name.
	ClientID   string
	ClientName string
	// Subject is the resource owner, empty for client_credentials.
	Subject string
	// GrantID names the grant the tokens belong to; it is empty for a
	// client_credentials token, which belongs to no grant.
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

	// accessHash is the store key of the access token, for discarding it.
	accessHash string
}

// issueRequest is what a grant hands to mint.
type issueRequest struct {
	client    store.Client
	grantType GrantType
	// grant is the grant the tokens belong to; the tokens take its
	// subject and auth time, and expire by its ExpiresAt. It is live
	// already, unless unsaved says otherwise. A grant without an ID is
	// none: it only bounds the lifetime of a token that belongs to no grant
	// (client_credentials), and is never stored.
	grant store.Grant
	// unsaved says the grant is new and not stored yet: create stores it
	// first, holding the first refresh token when refresh asks for one, so
	// that a grant made and used in one request (password,
	// client_credentials, IssueToken) costs one store write less.
	unsaved  bool
	scopes   []string
	audience []string
	// refresh asks for the grant's first refresh token (code and password
	// grants, IssueToken).
	refresh bool
	// now is when the tokens are issued: the time a grant made for them
	// counted its lifetime from.
	now time.Time
	// jkt is the thumbprint of the DPoP key the access token is bound to
	// (RFC 9449 §6), "" for a bearer token. A new grant of a public client
	// is bound to it too, and so its refresh tokens (§5).
	jkt string
}

// mint issues an access token, and the grant's first refresh token when
// asked for, saves their hashes and reports them issued.
func (s *Server) mint(ctx context.Context, req issueRequest) (IssuedToken, error) {
	it, err := s.create(ctx, req)
	if err != nil {
		return IssuedToken{}, err
	}
	s.issued(ctx, it)
	return it, nil
}

// issued reports the tokens of it as issued.
func (s *Server) issued(ctx context.Context, it IssuedToken) {
	s.emit(ctx, Event{Kind: EventTokenIssued, ClientID: it.ClientID, Subject: it.Subject,
		GrantID: it.GrantID, GrantType: it.GrantType, Scopes: it.Scopes})
}

// create is mint without the event: a refresh creates its access token
// before it rotates, and reports it only when the rotation holds.
func (s *Server) create(ctx context.Context, req issueRequest) (IssuedToken, error) {
	accessTTL, refreshTTL := s.cfg.lifetime(req.grantType)
	g, now := req.grant, req.now
	var refreshToken string
	var refreshState store.RefreshState
	if req.refresh {
		refreshToken = newRefreshToken(s.refreshKey, g.ID)
		refreshState = store.RefreshState{
			Hash:      hashToken(refreshToken),
			IssuedAt:  now,
			ExpiresAt: earliest(now.Add(refreshTTL), g.ExpiresAt),
		}
	}
	if req.unsaved {
		if req.jkt != "" && req.client.Public() {
			g.JKT = req.jkt
		}
		if req.refresh {
			g.RefreshHash, g.RefreshIssuedAt, g.RefreshExpiresAt = refreshState.Hash, refreshState.IssuedAt, refreshState.ExpiresAt
		}
		if err := s.saveGrant(ctx, g); err != nil {
			return IssuedToken{}, err
		}
	}
	it := IssuedToken{
		TokenType:  tokenType(req.jkt),
		Scopes:     req.scopes,
		ClientID:   req.client.ID,
		ClientName: req.client.Name,
		Subject:    g.Subject,
		GrantID:    g.ID,
		GrantType:  req.grantType,
		IssuedAt:   now,
		ExpiresAt:  earliest(now.Add(accessTTL), g.ExpiresAt),
	}
	if err := s.saveAccess(ctx, &it, req); err != nil {
		return IssuedToken{}, err
	}
	if s.issuesIDToken(req) {
		idToken, err := s.signIDToken(ctx, req, it.AccessToken)
		if err != nil {
			s.discard(ctx, it)
			return IssuedToken{}, serverError(fmt.Errorf("signing ID token: %w", err))
		}
		it.IDToken = idToken
	}
	if req.refresh {
		if !req.unsaved {
			if _, err := s.store.RotateRefreshToken(ctx, g.ID, "", refreshState); err != nil {
				return IssuedToken{}, grantGone(err)
			}
		}
		it.RefreshToken, it.RefreshIssuedAt, it.RefreshExpiresAt = refreshToken, now, refreshState.ExpiresAt
	}
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
		JKT:       req.jkt,
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
		token, jti, err := s.signAccessJWT(it, rec.Audience, req.grant.AuthTime, req.jkt, extra)
		if err != nil {
			return serverError(fmt.Errorf("signing access token: %w", err))
		}
		it.AccessToken, rec.Hash = token, jtiHash(jti)
	} else {
		it.AccessToken = newToken(prefixAccess)
		rec.Hash = hashToken(it.AccessToken)
	}
	if err := s.store.SaveAccessToken(ctx, rec); err != nil {
		return grantGone(err)
	}
	it.accessHash = rec.Hash
	return nil
}

// discard deletes the access token of it, created for a response that is
// not sent. Nobody holds the token; failing to delete it is only logged.
func (s *Server) discard(ctx context.Context, it IssuedToken) {
	if err := s.store.DeleteAccessToken(ctx, it.accessHash); err != nil {
		s.log.WarnContext(ctx, "authserver: could not delete an access token that was never sent", slog.Any("error", err))
	}
}
