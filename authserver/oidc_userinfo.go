package authserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/kunci/kunci/middleware"
)

// UserInfoHandler returns the UserInfo endpoint (OpenID Connect Core §5.3)
// on its own, for hosts that route endpoints themselves. It answers GET
// and POST with a bearer access token of this server in the Authorization
// header, or for POST in an application/x-www-form-urlencoded body (RFC
// 6750 §2.1, §2.2), and returns a JSON object with "sub", the token's
// subject, and the claims the token's scopes release (Scope.Claims) as
// Config.OpenID.Claims gives them (Core §5.3.2).
//
// It is the server's own [middleware.Authenticate] and
// [middleware.RequireScope] in front of the claims, so refusals are those
// of RFC 6750 §3 with a WWW-Authenticate: Bearer challenge whose realm is
// the issuer: 401 without a token or with an unknown, expired or revoked
// one, or one that speaks for no user (client_credentials); 400
// invalid_request for a malformed request or a token sent two ways; 403
// insufficient_scope with scope="openid" for a token without openid, which
// only an OpenID Connect grant has. A store failure is a 503, an error from
// the claims callback a 500 server_error. Without Config.OpenID.Enabled the
// handler answers 404.
func (s *Server) UserInfoHandler() http.Handler {
	return s.userInfo
}

// newUserInfoHandler builds the UserInfo endpoint.
func (s *Server) newUserInfoHandler() (http.Handler, error) {
	if !s.cfg.OpenID.Enabled {
		return http.NotFoundHandler(), nil
	}
	// A token that speaks for no user has no UserInfo.
	verify := middleware.VerifierFunc(func(ctx context.Context, token string) (TokenInfo, error) {
		info, err := s.VerifyAccessToken(ctx, token)
		if err == nil && info.Subject == "" {
			return TokenInfo{}, fmt.Errorf("%w: the token speaks for no user", middleware.ErrInvalidToken)
		}
		return info, err
	})
	authenticate, err := middleware.Authenticate(verify, middleware.Options{
		Realm:          s.realm,
		AllowFormToken: true,
		MaxTokenLength: maxJWTLen,
		Logger:         s.log,
	})
	if err != nil {
		return nil, err
	}
	needOpenID, err := middleware.RequireScope(scopeOpenID)
	if err != nil {
		return nil, err
	}
	h := authenticate(needOpenID(http.HandlerFunc(s.serveUserInfo)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: CodeInvalidRequest, ErrorDescription: "method must be GET or POST"})
			return
		}
		h.ServeHTTP(w, r)
	}), nil
}

// serveUserInfo answers a request whose token the middleware verified and
// found to hold openid.
func (s *Server) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	info, _ := middleware.TokenInfoFromContext(ctx)
	body, err := s.userInfoBody(ctx, info)
	if err != nil {
		s.writeError(ctx, w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	noStore(h)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// userInfoBody returns the UserInfo response for a token: sub, and the
// claims its scopes release that the host has values for (Core §5.3.2).
func (s *Server) userInfoBody(ctx context.Context, info TokenInfo) ([]byte, error) {
	claims := map[string]any{}
	if names := s.scopeClaims(info.Scopes); len(names) > 0 {
		got, err := s.cfg.OpenID.Claims(ctx, info.Subject, names)
		if err != nil {
			return nil, serverError(fmt.Errorf("OpenID.Claims: %w", err))
		}
		for _, name := range names {
			if v, ok := got[name]; ok {
				claims[name] = v
			}
		}
	}
	claims["sub"] = info.Subject
	body, err := json.Marshal(claims)
	if err != nil {
		return nil, serverError(fmt.Errorf("OpenID.Claims: a value does not marshal: %w", err))
	}
	return body, nil
}
