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
// subject, the user the request may then be answered for alone. It must
// be an ID Token this server signed: one JWS of type JWT (an at+jwt
// access token is refused) by a published key of the algorithm its header
// names, with the server's issuer, clientID among its audience and a
// subject. It may have expired, since Core lets a client send the last one
// it received.
func (s *Server) idTokenHintSubject(hint, clientID string) (string, bool) {
	if len(hint) > maxIDTokenHintLen || !looksLikeJWT(hint) {
		return "", false
	}
	parsed, err := jwt.ParseSigned(hint, s.keys.idTokenAlgs)
	if err != nil || len(parsed.Headers) != 1 {
		return "", false
	}
	h := parsed.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "JWT") {
		return "", false
	}
	key, ok := s.keys.public[h.KeyID]
	if !ok || h.Algorithm != key.Algorithm {
		return "", false
	}
	var c jwt.Claims
	if err := parsed.Claims(key.Key, &c); err != nil {
		return "", false
	}
	if c.Issuer != s.cfg.Issuer || !slices.Contains(c.Audience, clientID) || c.Subject == "" {
		return "", false
	}
	return c.Subject, true
}
