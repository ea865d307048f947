package authserver

import (
	"net/url"
	"slices"

	"github.com/kunci/kunci/internal/policy"
	"github.com/kunci/kunci/store"
)

// maxNonceLen bounds the nonce of an authentication request, which the
// grant keeps and every ID Token of the code exchange repeats.
const maxNonceLen = 1024

// openIDRequest reports whether the scope parameter of an authorization
// request asks for openid with OpenID Connect on: an authentication
// request (OpenID Connect Core §3.1.2.1). A malformed scope is no such
// request; it is refused later as invalid_scope.
func (s *Server) openIDRequest(params url.Values) bool {
	if !s.cfg.OpenID.Enabled {
		return false
	}
	scopes, ok := policy.ParseScope(params.Get("scope"))
	return ok && slices.Contains(scopes, scopeOpenID)
}

// checkOpenIDRequest applies the rules of an authentication request whose
// client and redirect URI are trusted (OpenID Connect Core §3.1.2.1,
// §3.1.2.2), and keeps in req what the later steps need: the nonce, the
// claims request (Core §5.5, see claimsRequest), and the user the request
// names by its id_token_hint or the sub of its claims request, who alone
// may answer it. A request object, by value or by reference, is refused
// rather than ignored (Core §6), since its parameters would override the
// ones checked here. response_type token alone is no OpenID Connect flow
// (Core §3), and the implicit and hybrid flows need a nonce (Core
// §3.2.2.1, §3.3.2.11). An id_token_hint that is not an ID Token this
// server issued to the client, a malformed claims request, or a hint and
// a claims request naming different users are invalid_request. Its errors
// go to the client. Other requests are left alone: for them these
// parameters mean nothing (RFC 6749 §3.1).
func (s *Server) checkOpenIDRequest(client store.Client, params url.Values, rt ResponseType, req *store.AuthRequest) *Error {
	if !s.openIDRequest(params) {
		return nil
	}
	switch {
	// An empty parameter is one left out (RFC 6749 §3.1).
	case params.Get("request") != "":
		return oauthError(CodeRequestNotSupported, "request objects are not supported")
	case params.Get("request_uri") != "":
		return oauthError(CodeRequestURINotSupported, "request_uri is not supported")
	case rt == ResponseToken:
		return oauthError(CodeUnsupportedResponseType, "an OpenID Connect request must use response_type code")
	}
	req.Nonce = params.Get("nonce")
	if len(req.Nonce) > maxNonceLen {
		return oauthError(CodeInvalidRequest, "nonce is too long")
	}
	if rt.parts().idToken && req.Nonce == "" {
		// An ID Token from the authorization endpoint binds the response
		// to the browser's session by the nonce (Core §3.2.2.1,
		// §3.3.2.11). "code token" returns none there, and its nonce is
		// optional as in the code flow.
		return oauthError(CodeInvalidRequest, "nonce is required with response_type "+string(rt))
	}
	if hint := params.Get("id_token_hint"); hint != "" {
		sub, ok := s.idTokenHintSubject(hint, client.ID)
		if !ok {
			return oauthError(CodeInvalidRequest, "id_token_hint is not an ID Token this server issued to the client")
		}
		req.RequiredSubject = sub
	}
	if raw := params.Get("claims"); raw != "" {
		c, normalized, e := parseClaimsRequest(raw)
		if e != nil {
			return e
		}
		sub, _ := c.subject()
		if sub != "" && req.RequiredSubject != "" && sub != req.RequiredSubject {
			return oauthError(CodeInvalidRequest, "id_token_hint and the claims parameter name different users")
		}
		if sub != "" {
			req.RequiredSubject = sub
		}
		req.Claims = normalized
	}
	return nil
}

// offlineAccessAsked reports whether the scopes of an OpenID Connect request
// ask for offline_access: then the consent page is shown even when the user
// approved the same scopes before, so that a refresh token for offline use
// is never issued without the user seeing it asked for (OpenID Connect
// Core §11).
func (s *Server) offlineAccessAsked(scopes []string) bool {
	return s.cfg.OpenID.Enabled && slices.Contains(scopes, scopeOpenID) && slices.Contains(scopes, scopeOfflineAccess)
}

// signInRefused reports whether the user approved an OpenID Connect
// request without openid, the sign-in itself: that refuses the request
// (access_denied) rather than issuing tokens the client did not ask for.
func (s *Server) signInRefused(requested, approved []string) bool {
	return s.cfg.OpenID.Enabled && slices.Contains(requested, scopeOpenID) && !slices.Contains(approved, scopeOpenID)
}

// refuseOpenID answers a request for openid that does not come through the
// authorization endpoint, when OpenID Connect is on: only an
// authentication request there signs a user in (OpenID Connect Core §3.1),
// so the token endpoint's password and client_credentials grants and
// Server.IssueToken never grant the scope.
func (s *Server) refuseOpenID(scopes []string) *Error {
	if s.cfg.OpenID.Enabled && slices.Contains(scopes, scopeOpenID) {
		return oauthError(CodeInvalidScope, "openid is granted only at the authorization endpoint")
	}
	return nil
}
