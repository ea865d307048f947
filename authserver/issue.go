package authserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kunci/kunci/store"
)

// IssuedToken describes tokens the server has just issued. The Go API
// ([Server.IssueToken]) returns it with the token strings; TokenResponseHook
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

// tokenResponse is the JSON body of a successful token response (RFC 6749
// §5.1), with Apigee's extended fields when configured.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`

	IssuedAt              string `json:"issued_at,omitempty"`
	RefreshTokenIssuedAt  string `json:"refresh_token_issued_at,omitempty"`
	RefreshTokenExpiresIn string `json:"refresh_token_expires_in,omitempty"`
	RefreshCount          string `json:"refresh_count,omitempty"`
	RefreshTokenStatus    string `json:"refresh_token_status,omitempty"`
	ClientID              string `json:"client_id,omitempty"`
	ApplicationName       string `json:"application_name,omitempty"`
	Status                string `json:"status,omitempty"`
	State                 string `json:"state,omitempty"`
}

// reservedResponseFields are set by the server; TokenResponseHook cannot
// replace them.
var reservedResponseFields = []string{
	"access_token", "token_type", "expires_in", "refresh_token", "scope",
	"issued_at", "refresh_token_issued_at", "refresh_token_expires_in",
	"refresh_count", "refresh_token_status", "client_id", "application_name",
	"status", "state", "error", "error_description", "error_uri",
}

// appendStandardBody writes the RFC 6749 §5.1 fields of resp as JSON without
// reflection: the hot path of every token request. Every value is known to
// need no escaping: tokens are base64url (a JWT adds dots), token_type is a
// constant and scope tokens exclude '"', '\\' and control characters
// (RFC 6749 §3.3).
func appendStandardBody(b []byte, resp tokenResponse) []byte {
	b = append(b, `{"access_token":"`...)
	b = append(b, resp.AccessToken...)
	b = append(b, `","token_type":"`...)
	b = append(b, resp.TokenType...)
	b = append(b, `","expires_in":`...)
	b = strconv.AppendInt(b, resp.ExpiresIn, 10)
	if resp.RefreshToken != "" {
		b = append(b, `,"refresh_token":"`...)
		b = append(b, resp.RefreshToken...)
		b = append(b, '"')
	}
	if resp.Scope != "" {
		b = append(b, `,"scope":"`...)
		b = append(b, resp.Scope...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// dropReserved removes from m every key that matches a reserved name without
// regard to case: encoding/json, and so most Go clients, match object keys
// case-insensitively with the last duplicate winning, so "Access_Token"
// would otherwise replace access_token.
func dropReserved(m map[string]any, reserved []string) map[string]any {
	for k := range m {
		for _, r := range reserved {
			if strings.EqualFold(k, r) {
				delete(m, k)
				break
			}
		}
	}
	return m
}

// millis formats t as Unix milliseconds, as Apigee's issued_at fields do.
func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// tokenBody builds the JSON body for it. requested is the scope list the
// client asked for; scope is included when the granted scopes differ from it
// (RFC 6749 §5.1). state is echoed in the extended response.
func (s *Server) tokenBody(ctx context.Context, it IssuedToken, requested []string, state string) []byte {
	resp := tokenResponse{
		AccessToken:  it.AccessToken,
		TokenType:    it.TokenType,
		ExpiresIn:    int64(it.ExpiresAt.Sub(it.IssuedAt) / time.Second),
		RefreshToken: it.RefreshToken,
	}
	if !slices.Equal(requested, it.Scopes) {
		resp.Scope = strings.Join(it.Scopes, " ")
	}
	if s.cfg.ExtendedTokenResponse {
		resp.IssuedAt = millis(it.IssuedAt)
		resp.ClientID = it.ClientID
		resp.ApplicationName = it.ClientName
		resp.Status = "approved"
		resp.State = state
		if it.RefreshToken != "" {
			resp.RefreshTokenIssuedAt = millis(it.RefreshIssuedAt)
			resp.RefreshTokenExpiresIn = strconv.FormatInt(int64(it.RefreshExpiresAt.Sub(it.RefreshIssuedAt)/time.Second), 10)
			resp.RefreshCount = strconv.Itoa(it.RefreshCount)
			resp.RefreshTokenStatus = "approved"
		}
	}
	if !s.cfg.ExtendedTokenResponse && s.cfg.TokenResponseHook == nil {
		return appendStandardBody(make([]byte, 0, 256), resp)
	}
	body, _ := json.Marshal(resp) // a struct of strings and ints always marshals
	if s.cfg.TokenResponseHook == nil {
		return body
	}
	view := it
	view.AccessToken, view.RefreshToken = "", ""
	extra := dropReserved(s.cfg.TokenResponseHook(ctx, view), reservedResponseFields)
	if len(extra) == 0 {
		return body
	}
	more, err := json.Marshal(extra)
	if err != nil {
		s.logError(ctx, serverError(err))
		return body
	}
	// Splice {"a":1} and {"b":2} into {"a":1,"b":2}.
	var buf bytes.Buffer
	buf.Write(body[:len(body)-1])
	buf.WriteByte(',')
	buf.Write(more[1:])
	return buf.Bytes()
}
