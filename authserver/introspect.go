package authserver

import (
	"context"
	"encoding/json"
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
	// Cnf is the key binding of a DPoP-bound token (RFC 9449 §6.2).
	Cnf *confirmation `json:"cnf,omitempty"`
}

// IntrospectHandler returns the introspection endpoint (RFC 7662) on its own.
// Only authenticated confidential clients may call it (§2.1). A token that
// is unknown, expired, revoked, rotated, or that Config.Hooks.CanIntrospect does
// not let the caller see is answered with exactly {"active":false} (§2.2).
// token_type, an access token type (RFC 6749 §5.1), is sent for access
// tokens only.
func (s *Server) IntrospectHandler() http.Handler {
	return s.postEndpoint(func(r *http.Request, f form) ([]byte, error) {
		ctx := r.Context()
		caller, e := s.authenticateClient(ctx, r, f)
		if e != nil {
			return nil, e
		}
		if caller.Public() {
			s.emit(ctx, Event{Kind: EventClientAuthFailed, ClientID: caller.ID})
			s.logRefusedClient(ctx, caller.ID, refusedPublicClient)
			return nil, &Error{Code: CodeInvalidClient, Description: "introspection needs a confidential client"}
		}
		token := f.get("token")
		if token == "" {
			return nil, oauthError(CodeInvalidRequest, "missing token")
		}
		resp, err := s.introspect(ctx, caller, token)
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(resp)
		if err != nil {
			return nil, serverError(err)
		}
		if len(resp.Claims) > 2 {
			// Merge the host's extra claims: {"active":true,...} + {"tenant":...}.
			body = append(append(body[:len(body)-1], ','), resp.Claims[1:]...)
		}
		return body, nil
	})
}

// introspect looks token up and decides what caller may learn of it.
func (s *Server) introspect(ctx context.Context, caller store.Client, token string) (introspection, error) {
	t, found, err := s.findToken(ctx, token)
	if err != nil {
		return introspection{}, err
	}
	if !found || t.rotated || !s.canIntrospect(caller, t.info) {
		return introspection{}, nil
	}
	resp := introspection{
		Active:    true,
		Scope:     strings.Join(t.info.Scopes, " "),
		ClientID:  t.info.ClientID,
		Subject:   t.info.Subject,
		ExpiresAt: t.info.ExpiresAt.Unix(),
		IssuedAt:  t.info.IssuedAt.Unix(),
		Audience:  t.info.Audience,
		Issuer:    s.cfg.Issuer,
		Claims:    t.claims,
	}
	if !t.refresh {
		// token_type is an access token type (RFC 7662 §2.2, RFC 6749
		// §5.1); a refresh token has none.
		resp.TokenType = tokenType(t.info.JKT)
		resp.Cnf = cnfOf(t.info.JKT)
	}
	return resp, nil
}

// canIntrospect applies Config.Hooks.CanIntrospect, or the default policy: a
// client may see its own tokens and tokens whose audience names it.
func (s *Server) canIntrospect(caller store.Client, info TokenInfo) bool {
	if s.cfg.Hooks.CanIntrospect != nil {
		return s.cfg.Hooks.CanIntrospect(caller, info)
	}
	return info.ClientID == caller.ID || slices.Contains(info.Audience, caller.ID)
}
