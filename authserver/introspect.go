package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/kunci/kunci/store"
)

// introspection is the JSON body of an RFC 7662 §2.2 response. Claims holds
// the host's extra claims, which are merged into the body.
type introspection struct {
	Claims    []byte   `json:"-"`
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	ExpiresAt int64    `json:"exp,omitempty"`
	IssuedAt  int64    `json:"iat,omitempty"`
	Audience  []string `json:"aud,omitempty"`
	Issuer    string   `json:"iss,omitempty"`
}

// IntrospectHandler returns the introspection endpoint (RFC 7662) on its own.
// Only authenticated confidential clients may call it (§2.1). A token that
// is unknown, expired, revoked, rotated, or that Config.CanIntrospect does
// not let the caller see is answered with exactly {"active":false} (§2.2).
func (s *Server) IntrospectHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !requirePost(w, r) {
			return
		}
		ctx := r.Context()
		f, e := parsePostForm(w, r)
		if e != nil {
			s.writeError(ctx, w, e)
			return
		}
		caller, e := s.authenticateClient(ctx, r, f)
		if e != nil {
			s.writeError(ctx, w, e)
			return
		}
		if caller.Public() {
			s.writeError(ctx, w, &Error{Code: CodeInvalidClient, Description: "introspection needs a confidential client"})
			return
		}
		token := f.get("token")
		if token == "" {
			s.writeError(ctx, w, oauthError(CodeInvalidRequest, "missing token"))
			return
		}
		resp, err := s.introspect(ctx, caller, token)
		if err != nil {
			s.writeError(ctx, w, err)
			return
		}
		body, err := json.Marshal(resp)
		if err == nil && len(resp.Claims) > 2 {
			body = append(append(body[:len(body)-1], ','), resp.Claims[1:]...)
		}
		h := w.Header()
		h.Set("Content-Type", "application/json;charset=UTF-8")
		noStore(h)
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
}

// introspect looks token up and decides what caller may learn of it.
func (s *Server) introspect(ctx context.Context, caller store.Client, token string) (introspection, error) {
	inactive := introspection{}
	var (
		info      TokenInfo
		tokenType string
		claims    []byte
	)
	if hash, ok := s.accessHash(token); ok {
		rec, err := s.store.AccessToken(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			return inactive, nil
		}
		if err != nil {
			return inactive, unavailable(err)
		}
		info, tokenType, claims = accessInfo(rec), "Bearer", rec.Claims
	} else if hasPrefix(token, prefixRefresh) {
		rec, err := s.store.RefreshToken(ctx, hashToken(token))
		if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Rotated()) {
			return inactive, nil
		}
		if err != nil {
			return inactive, unavailable(err)
		}
		info = TokenInfo{Subject: rec.Subject, ClientID: rec.ClientID, Scopes: rec.Scopes,
			Audience: rec.Audience, ExpiresAt: rec.ExpiresAt, IssuedAt: rec.IssuedAt}
		tokenType = "refresh_token"
	} else {
		return inactive, nil
	}
	if !s.canIntrospect(caller, info) {
		return inactive, nil
	}
	return introspection{
		Active:    true,
		Scope:     strings.Join(info.Scopes, " "),
		ClientID:  info.ClientID,
		Subject:   info.Subject,
		TokenType: tokenType,
		ExpiresAt: info.ExpiresAt.Unix(),
		IssuedAt:  info.IssuedAt.Unix(),
		Audience:  info.Audience,
		Issuer:    s.cfg.Issuer,
		Claims:    claims,
	}, nil
}

// canIntrospect applies Config.CanIntrospect, or the default policy: a
// client may see its own tokens and tokens whose audience names it.
func (s *Server) canIntrospect(caller store.Client, info TokenInfo) bool {
	if s.cfg.CanIntrospect != nil {
		return s.cfg.CanIntrospect(caller, info)
	}
	return info.ClientID == caller.ID || slices.Contains(info.Audience, caller.ID)
}
