package authserver

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	josejson "github.com/go-jose/go-jose/v4/json"

	"github.com/kunci/kunci/internal/jws"
	"github.com/kunci/kunci/store"
)

// maxJWTLen bounds a JWT the server will parse.
const maxJWTLen = 8 << 10

// registeredClaims are the claims of an RFC 9068 §2.2 access token. Hosts'
// extra claims can never replace them, nor the RFC 7662 response members.
var registeredClaims = []string{
	"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope",
	"auth_time", "acr", "amr", "active", "token_type", "username", "cnf",
}

// jwtClaims is the payload of an access token JWT (RFC 9068 §2.2).
type jwtClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience []string `json:"aud"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope,omitempty"`
	IssuedAt int64    `json:"iat"`
	Expiry   int64    `json:"exp"`
	ID       string   `json:"jti"`
	AuthTime int64    `json:"auth_time,omitempty"`
	// Cnf binds a DPoP-bound token to its key (RFC 9449 §6.1).
	Cnf *confirmation `json:"cnf,omitempty"`
}

// useJWT decides whether an access token is a JWT: the client asked for JWTs,
// or the token is for a resource listed in Config.JWT.Resources.
func (s *Server) useJWT(client store.Client, audience []string) bool {
	if TokenFormat(client.AccessTokenFormat) == TokenFormatJWT {
		return true
	}
	for _, a := range audience {
		for _, r := range s.cfg.JWT.Resources {
			if a == r {
				return true
			}
		}
	}
	return false
}

// signAccessJWT returns an RFC 9068 access token for it and its jti, with
// cnf.jkt when jkt is not "". extra holds the host's claims, already
// stripped of registered names.
func (s *Server) signAccessJWT(it *IssuedToken, audience []string, authTime time.Time, jkt string, extra map[string]any) (token, jti string, err error) {
	if s.keys == nil {
		return "", "", errNoKeys
	}
	jti = newToken("")
	sub := it.Subject
	if sub == "" {
		// RFC 9068 §2.2: for a client acting for itself, sub is the client.
		sub = it.ClientID
	}
	c := jwtClaims{
		Issuer:   s.cfg.Issuer,
		Subject:  sub,
		Audience: audience,
		ClientID: it.ClientID,
		Scope:    strings.Join(it.Scopes, " "),
		IssuedAt: it.IssuedAt.Unix(),
		Expiry:   it.ExpiresAt.Unix(),
		ID:       jti,
		Cnf:      cnfOf(jkt),
	}
	if !authTime.IsZero() {
		c.AuthTime = authTime.Unix()
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", "", err
	}
	if len(extra) > 0 {
		more, err := json.Marshal(extra)
		if err != nil {
			return "", "", err
		}
		payload = append(append(payload[:len(payload)-1], ','), more[1:]...)
	}
	token, err = s.keys.signer.Sign(payload)
	return token, jti, err
}

// looksLikeJWT reports whether token has the shape of a compact JWS.
func looksLikeJWT(token string) bool {
	return len(token) <= maxJWTLen && strings.HasPrefix(token, "eyJ") && strings.Count(token, ".") == 2
}

// jwtID verifies an access token JWT issued by this server (signature by a
// published key, typ at+jwt, iss, exp) and returns its jti. Whether the
// token was revoked is the store's to say. It parses with internal/jws,
// strictly: the token in any other spelling, such as with a line break a
// lenient base64 decoder would skip, is not the token.
func (s *Server) jwtID(token string) (string, bool) {
	if s.keys == nil || !looksLikeJWT(token) {
		return "", false
	}
	tok, err := jws.Parse(token)
	if err != nil || !strings.EqualFold(tok.Header.Typ, "at+jwt") {
		return "", false
	}
	key, ok := s.keys.public[tok.Header.Kid]
	if !ok || string(tok.Header.Alg) != key.Algorithm || tok.Verify(key.Key) != nil {
		return "", false
	}
	// go-jose's decoder, as the middleware's: member names are
	// case-sensitive and a duplicate is an error.
	var c jwtClaims
	if err := josejson.Unmarshal(tok.Payload, &c); err != nil {
		return "", false
	}
	if c.Issuer != s.cfg.Issuer || c.ID == "" || time.Now().Unix() >= c.Expiry {
		return "", false
	}
	return c.ID, true
}

// jtiHash is the store key of a JWT access token. The "jti:" domain keeps it
// apart from the hashes of opaque tokens, so a jti can never be presented
// as an opaque token.
func jtiHash(jti string) string { return hashToken("jti:" + jti) }

// accessHash returns the store key of an access token: the hash of an opaque
// token, or of a valid JWT's jti.
func (s *Server) accessHash(token string) (string, bool) {
	if isOpaqueAccessToken(token) {
		return hashToken(token), true
	}
	if jti, ok := s.jwtID(token); ok {
		return jtiHash(jti), true
	}
	return "", false
}

// extraClaims runs Config.Hooks.AccessTokenClaims and drops the names the server
// owns.
func (s *Server) extraClaims(ctx context.Context, it IssuedToken) map[string]any {
	if s.cfg.Hooks.AccessTokenClaims == nil {
		return nil
	}
	extra := hookFields(ctx, s.cfg.Hooks.AccessTokenClaims, it, registeredClaims)
	if len(extra) == 0 {
		return nil
	}
	return extra
}
