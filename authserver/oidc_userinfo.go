package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

// UserInfoHandler returns the UserInfo endpoint (OpenID Connect Core §5.3)
// on its own, for hosts that route endpoints themselves. It answers GET
// and POST with a bearer access token of this server in the Authorization
// header, or for POST in an application/x-www-form-urlencoded body (RFC
// 6750 §2.1, §2.2), and returns a JSON object with "sub", the token's
// subject, and the claims the token's scopes release (Scope.Claims) and
// the userinfo member of its grant's claims request asks for (Core §5.5,
// see claimsRequest), as Config.OpenID.Claims gives them (Core §5.3.2).
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
//
// With Config.DPoP.Enabled it also accepts DPoP-bound tokens with the DPoP
// scheme and a proof whose htu is the advertised userinfo_endpoint (RFC 9449
// §7), and its challenges include WWW-Authenticate: DPoP. A DPoP-bound
// token is never accepted as a bearer token.
func (s *Server) UserInfoHandler() http.Handler {
	return s.userInfo
}

// newUserInfoHandler builds the UserInfo endpoint.
func (s *Server) newUserInfoHandler() (http.Handler, error) {
	if !s.cfg.OpenID.Enabled {
		return http.NotFoundHandler(), nil
	}
	// A token that speaks for no user has no UserInfo. The verifier
	// hands the token's grant, which holds the claims request, to
	// serveUserInfo through the request's userInfoGrant.
	verify := middleware.VerifierFunc(func(ctx context.Context, token string) (TokenInfo, error) {
		rec, err := s.accessRecord(ctx, token)
		if err != nil {
			return TokenInfo{}, err
		}
		if rec.Subject == "" {
			return TokenInfo{}, fmt.Errorf("%w: the token speaks for no user", middleware.ErrInvalidToken)
		}
		g, err := s.store.Grant(ctx, rec.GrantID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return TokenInfo{}, fmt.Errorf("%w: the token's grant ended", middleware.ErrInvalidToken)
		case err != nil:
			return TokenInfo{}, err
		}
		if held, ok := ctx.Value(userInfoGrant{}).(*grantClaims); ok {
			*held = grantClaims{request: g.Claims, scopes: g.Scopes}
		}
		return accessInfo(rec), nil
	})
	authenticate, err := middleware.Authenticate(verify, middleware.Options{
		Realm:          s.realm,
		AllowFormToken: true,
		MaxTokenLength: maxJWTLen,
		Logger:         s.log,
		DPoP:           s.userInfoDPoP(),
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
		r = r.WithContext(&grantContext{Context: r.Context()})
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

// userInfoGrant is the context key of what serveUserInfo needs of the
// grant of a UserInfo request's token: a *grantClaims that the endpoint's
// verifier fills in.
type userInfoGrant struct{}

// grantClaims is what a UserInfo response needs of a token's grant: its
// claims request (store.Grant.Claims) and its scopes.
type grantClaims struct {
	request []byte
	scopes  []string
}

// grantContext is the context of a UserInfo request: its parent, and the
// grantClaims its key userInfoGrant holds, in one allocation.
type grantContext struct {
	context.Context
	grant grantClaims
}

// Value returns the grantClaims for userInfoGrant, else the parent's
// value.
func (c *grantContext) Value(key any) any {
	if _, ok := key.(userInfoGrant); ok {
		return &c.grant
	}
	return c.Context.Value(key)
}

// serveUserInfo answers a request whose token the middleware verified and
// found to hold openid.
func (s *Server) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	info, _ := middleware.TokenInfoFromContext(ctx)
	var g grantClaims
	if held, ok := ctx.Value(userInfoGrant{}).(*grantClaims); ok {
		g = *held
	}
	body, err := s.userInfoBody(ctx, info, g)
	if err != nil {
		s.writeError(ctx, w, err)
		return
	}
	jsonNoStore(w.Header())
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// userInfoBody returns the UserInfo response for a token of grant g: sub,
// and the claims its scopes release and its grant's claims request asks
// for in the userinfo member, that the host has values for (Core §5.3.2,
// §5.5). Members are written in sorted order, as json.Marshal writes a
// map, without building one.
func (s *Server) userInfoBody(ctx context.Context, info TokenInfo, g grantClaims) ([]byte, error) {
	names := s.scopeClaims(info.Scopes)
	var requests map[string]*claimRequest
	if g.request != nil {
		requests = storedClaimsRequest(g.request).UserInfo
		for _, name := range s.requestedClaims(requests, info.Scopes, g.scopes) {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	var values hostValues
	if len(names) > 0 {
		got, err := s.hostClaims(ctx, info.Subject, names, requests)
		if err != nil {
			return nil, serverError(err)
		}
		values = got
	}
	sub, e := s.userInfoSubject(ctx, info)
	if e != nil {
		return nil, e
	}
	body, err := userInfoJSON(names, values, sub)
	if err != nil {
		return nil, serverError(fmt.Errorf("OpenID.Claims: a value does not marshal: %w", err))
	}
	return body, nil
}

// userInfoJSON writes the JSON object of sub and the claims of names that
// values releases, with its members in sorted order and each name and
// value as json.Marshal writes it. A claim named sub is never the host's.
// names is sorted in place.
func userInfoJSON(names []string, values hostValues, sub string) ([]byte, error) {
	slices.Sort(names)
	size := len(sub) + 16
	for _, name := range names {
		size += len(name) + 8
		if v, ok := values.got[name].(string); ok {
			size += len(v)
		}
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	subDone := false
	var err error
	for _, name := range names {
		if name == "sub" {
			continue
		}
		v, ok := values.get(name)
		if !ok {
			continue
		}
		if !subDone && name > "sub" {
			out = appendString(appendName(out, "sub"), sub)
			subDone = true
		}
		if out, err = appendJSON(appendName(out, name), v); err != nil {
			return nil, err
		}
	}
	if !subDone {
		out = appendString(appendName(out, "sub"), sub)
	}
	return append(out, '}'), nil
}

// appendName appends the name of a member to the members of a JSON
// object in out, with the comma before it and the colon after it.
func appendName(out []byte, name string) []byte {
	if len(out) > 1 {
		out = append(out, ',')
	}
	return append(appendString(out, name), ':')
}

// appendJSON appends v as json.Marshal writes it. Strings and booleans,
// the usual claim values, are written without reflection.
func appendJSON(out []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendString(out, v), nil
	case bool:
		return strconv.AppendBool(out, v), nil
	}
	p, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(out, p...), nil
}

// appendString appends s as json.Marshal writes a string.
func appendString(out []byte, s string) []byte {
	if plainJSONString(s) {
		out = append(out, '"')
		out = append(out, s...)
		return append(out, '"')
	}
	p, _ := json.Marshal(s) // a string always marshals
	return append(out, p...)
}

// plainJSONString reports whether json.Marshal writes s between quotes
// unchanged: printable ASCII without a quote, a backslash, or the <, >
// and & it escapes for HTML.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
