package authserver

import (
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// maxIDTokenHintLen bounds an id_token_hint: a longer one is refused
// before it is parsed, as a malformed one is, so that a hint costs no
// base64 decoding or signature check out of proportion to an ID Token.
// It is the bound of every JWT the server parses.
const maxIDTokenHintLen = maxJWTLen

// idTokenHintSubject verifies the id_token_hint of an authentication
// request of clientID (OpenID Connect Core §3.1.2.1) and returns its
// subject, the user the request may then be answered for alone: an ID
// Token of this server (verifyIDTokenHint) with clientID among its
// audience. For a pairwise client the subject is the pairwise sub the
// client knows, never the local one.
func (s *Server) idTokenHintSubject(hint, clientID string) (string, bool) {
	c, ok := s.verifyIDTokenHint(hint)
	if !ok || !slices.Contains(c.Audience, clientID) {
		return "", false
	}
	return c.Subject, true
}

// verifyIDTokenHint verifies an id_token_hint (OpenID Connect Core
// §3.1.2.1, RP-Initiated Logout 1.0 §2) and returns its claims. It must be
// an ID Token this server signed: one JWS of type JWT (an at+jwt access
// token is refused) by a published key of the algorithm its header names,
// with the server's issuer, an audience and a subject. It may have
// expired, since Core and RP-Initiated Logout §4 let a client send the
// last one it received. The caller checks the audience.
func (s *Server) verifyIDTokenHint(hint string) (jwt.Claims, bool) {
	if len(hint) > maxIDTokenHintLen || !looksLikeJWT(hint) {
		return jwt.Claims{}, false
	}
	parsed, err := jwt.ParseSigned(hint, s.keys.idTokenAlgs)
	if err != nil || len(parsed.Headers) != 1 {
		return jwt.Claims{}, false
	}
	h := parsed.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "JWT") {
		return jwt.Claims{}, false
	}
	key, ok := s.keys.public[h.KeyID]
	if !ok || h.Algorithm != key.Algorithm {
		return jwt.Claims{}, false
	}
	var c jwt.Claims
	if err := parsed.Claims(key.Key, &c); err != nil {
		return jwt.Claims{}, false
	}
	if c.Issuer != s.cfg.Issuer || len(c.Audience) == 0 || c.Subject == "" {
		return jwt.Claims{}, false
	}
	return c, true
}
