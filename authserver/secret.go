package authserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/kunci/kunci/internal/digest"
)

// Token kinds are told apart by a prefix, so that secret scanners and the
// server itself can recognise what a string is without a store lookup.
const (
	prefixAccess  = "kat_"
	prefixRefresh = "krt_"
	prefixCode    = "kac_"
)

// tokenBytes is the entropy of every token, code and pending request ID:
// 256 bits, as RFC 6749 §10.10 and RFC 9700 §4.1 ask for unguessable values.
const tokenBytes = 32

// maxTokenLen bounds token-like values the server reads. Codes and tokens
// it issues have one exact length (see newGrantToken), and anything else is
// rejected without work.
const maxTokenLen = 512

var b64 = base64.RawURLEncoding

// newToken returns prefix followed by 256 random bits from crypto/rand.
func newToken(prefix string) string {
	var raw [tokenBytes]byte
	rand.Read(raw[:])     // crypto/rand.Read never fails (Go 1.24+)
	var out [16 + 43]byte // a short prefix and base64url of 32 bytes
	if len(prefix) > 16 {
		return prefix + b64.EncodeToString(raw[:])
	}
	n := copy(out[:], prefix)
	b64.Encode(out[n:], raw[:])
	return string(out[:n+43])
}

// Codes and refresh tokens name their grant ([store.Grant]): each is a kind
// prefix, the grant's ID, a dot and 256 random bits, all in base64url,
//
//	kac_<grant ID: 22 characters>.<randomness: 43 characters>
//
// so that the server knows the grant of any such string before it asks the
// store, and a store can keep a grant's records together. The whole string
// is hashed for the store, prefix and grant ID included, so codes, access
// tokens and refresh tokens never share a hash. A string without exactly
// this shape names nothing and is refused before any hashing or lookup.
//
// Opaque access tokens are the prefix and 256 random bits only
// (kat_<43 characters>): they go to resource servers and into their logs,
// which need not learn the grant ID. Whoever knows a grant's ID and can
// authenticate as its client can end the grant with a made-up refresh
// token (a reuse, RFC 9700 §4.14.2), so the ID travels only with the codes
// and refresh tokens the client itself holds.
const (
	grantIDLen = 22 // base64url of 128 random bits, see newGrantID
	secretLen  = 43 // base64url of tokenBytes
)

// newGrantID returns the unguessable ID of a new grant.
func newGrantID() string {
	var buf [16]byte
	rand.Read(buf[:])
	return b64.EncodeToString(buf[:])
}

// newGrantToken returns a new code or token of the kind prefix for the
// grant grantID.
func newGrantToken(prefix, grantID string) string {
	var raw [tokenBytes]byte
	rand.Read(raw[:])
	var out [8 + grantIDLen + 1 + secretLen]byte // a short prefix, the grant ID, the dot, the randomness
	if len(prefix)+len(grantID) > 8+grantIDLen {
		return prefix + grantID + "." + b64.EncodeToString(raw[:])
	}
	n := copy(out[:], prefix)
	n += copy(out[n:], grantID)
	out[n] = '.'
	b64.Encode(out[n+1:], raw[:])
	return string(out[:n+1+secretLen])
}

// isOpaqueAccessToken reports whether token has the shape of an opaque
// access token (prefixAccess and 43 base64url characters).
func isOpaqueAccessToken(token string) bool {
	rest, ok := strings.CutPrefix(token, prefixAccess)
	return ok && len(rest) == secretLen && isBase64URL(rest)
}

// tokenGrant returns the grant ID that token, of the kind prefix, names.
// ok is false when token does not have the shape newGrantToken gives it.
func tokenGrant(token, prefix string) (grantID string, ok bool) {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok || len(rest) != grantIDLen+1+secretLen || rest[grantIDLen] != '.' {
		return "", false
	}
	grantID = rest[:grantIDLen]
	if !isBase64URL(grantID) || !isBase64URL(rest[grantIDLen+1:]) {
		return "", false
	}
	return grantID, true
}

// isBase64URL reports whether s holds only characters of the base64url
// alphabet (RFC 4648 §5).
func isBase64URL(s string) bool {
	for i := range len(s) {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// hashToken returns the form in which a token, code or secret reaches the
// store: SHA-256, base64url without padding. The inputs are high-entropy, so
// a fast unsalted hash is enough to make a leaked store useless.
func hashToken(token string) string {
	var out [hashLen]byte
	hashInto(&out, token)
	return string(out[:])
}

// hashLen is the length of hashToken's result:
// base64.RawURLEncoding.EncodedLen(sha256.Size).
const hashLen = 43

// hashInto writes hashToken(token) to out without allocating.
func hashInto(out *[hashLen]byte, token string) {
	sum := digest.SHA256(token)
	b64.Encode(out[:], sum[:])
}

// secretMatches compares a presented secret with a stored hash in constant
// time.
func secretMatches(presented, storedHash string) bool {
	var h [hashLen]byte
	hashInto(&h, presented)
	return subtle.ConstantTimeCompare(h[:], []byte(storedHash)) == 1
}

// Refresh tokens are authenticated: their 256 random-looking bits are a
// 128-bit nonce and the first 128 bits of an HMAC-SHA256, under
// RefreshRotation.Key, of the kind, the grant ID and the nonce. The server
// can so tell a refresh token it issued from one made up by whoever learnt
// a grant's ID (codes show it), without storing retired tokens: a made-up
// token is refused without ending the grant, while a genuine retired one
// is a reuse (RFC 9700 §4.14.2).
const refreshNonceLen, refreshMACLen = 16, 16

// newRefreshToken returns a new refresh token of grant grantID.
func newRefreshToken(key []byte, grantID string) string {
	var nonce [refreshNonceLen]byte
	rand.Read(nonce[:])
	return refreshToken(key, grantID, nonce[:])
}

// refreshToken returns the refresh token of grant grantID with nonce.
func refreshToken(key []byte, grantID string, nonce []byte) string {
	var raw [refreshNonceLen + refreshMACLen]byte
	copy(raw[:], nonce)
	copy(raw[refreshNonceLen:], refreshMAC(key, grantID, nonce))
	return prefixRefresh + grantID + "." + b64.EncodeToString(raw[:])
}

func refreshMAC(key []byte, grantID string, nonce []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(prefixRefresh))
	mac.Write([]byte(grantID))
	mac.Write(nonce)
	return mac.Sum(nil)[:refreshMACLen]
}

// refreshAuthentic reports whether token, which has the shape of a refresh
// token, is one the server issued under key.
func refreshAuthentic(key []byte, token string) bool {
	grantID, ok := tokenGrant(token, prefixRefresh)
	if !ok {
		return false
	}
	raw, err := b64.DecodeString(token[len(prefixRefresh)+grantIDLen+1:])
	if err != nil || len(raw) != refreshNonceLen+refreshMACLen {
		return false
	}
	return hmac.Equal(raw[refreshNonceLen:], refreshMAC(key, grantID, raw[:refreshNonceLen]))
}

// successorToken returns the refresh token that replaces token when the
// grace period is on: derived from token under key, so that every instance
// sharing the key hands a client that retries the same successor. It is
// authenticated like every refresh token.
func successorToken(key []byte, token string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("successor:"))
	mac.Write([]byte(token))
	grantID := token[len(prefixRefresh) : len(prefixRefresh)+grantIDLen]
	return refreshToken(key, grantID, mac.Sum(nil)[:refreshNonceLen])
}
