package middleware

import (
	"strings"
	"time"
)

// jwtCache is the JWT verifier's cache of the tokens it verified. It is
// keyed by the SHA-256 of a token's signature, the part that makes a JWT a
// credential (RFC 7515 §7.1), which is kept only as that hash. An entry also
// keeps the rest of the token, its protected header and payload, which any
// holder of the token can read, and a read compares them as well: a hit is
// a token equal byte for byte to one that was verified, as with a key over
// the whole token, at the cost of hashing 86 characters (ES256, EdDSA)
// instead of hundreds. BenchmarkJWT/repeat measures it.
//
// A signing input longer than maxKeptInput is kept as its SHA-256 instead,
// which bounds what an entry holds whatever the token's size, at the cost
// of a second hash on a hit for such tokens.
//
// A JWS compact serialization is base64url and dots alone, so every token
// it holds is an RFC 6750 b64token, as knownTokens requires.
type jwtCache struct {
	c *tokenCache[signedInfo]
}

// maxKeptInput is the longest signing input a jwtCache entry keeps as it
// is. An access token of kunci's with a few scopes has one of about 500
// bytes.
const maxKeptInput = 1024

// signedInfo is a jwtCache entry: the answer for a token and the token's
// JWS Signing Input (RFC 7515 §5.1), copied out of the request that
// carried it so that the signature next to it is not kept alive, or for a
// longer one than maxKeptInput its SHA-256.
type signedInfo struct {
	input    string
	long     bool     // the input was over maxKeptInput: inputSum holds it
	inputSum cacheKey // for a long input; input is then ""
	info     TokenInfo
}

// newSignedInfo returns the entry for a token with signing input input.
func newSignedInfo(input string, info TokenInfo) signedInfo {
	if len(input) > maxKeptInput {
		return signedInfo{long: true, inputSum: keyOf(input), info: info}
	}
	return signedInfo{input: strings.Clone(input), info: info}
}

// signs reports whether e is the entry of a token with signing input
// input.
func (e signedInfo) signs(input string) bool {
	if len(input) > maxKeptInput {
		return e.long && e.inputSum == keyOf(input)
	}
	return !e.long && e.input == input
}

func newJWTCache(maxEntries int, now func() time.Time) jwtCache {
	return jwtCache{c: newTokenCache[signedInfo](maxEntries, now)}
}

// splitSigned returns the key of token and its signing input; false when
// token has no dot, or nothing before it, and so is no JWS.
func splitSigned(token string) (cacheKey, string, bool) {
	i := strings.LastIndexByte(token, '.')
	if i <= 0 {
		return cacheKey{}, "", false
	}
	return keyOf(token[i+1:]), token[:i], true
}

// get returns a copy of the live answer cached for token.
func (jc jwtCache) get(token string) (TokenInfo, bool) {
	key, input, ok := splitSigned(token)
	if !ok {
		return TokenInfo{}, false
	}
	e, ok := jc.c.get(key)
	// The signing input is no secret, so a comparison that stops at the
	// first difference tells an attacker nothing; reaching it at all takes
	// the hash of a cached signature.
	if !ok || !e.signs(input) {
		return TokenInfo{}, false
	}
	return e.info.clone(), true
}

// put caches a copy of info for token until expiry.
func (jc jwtCache) put(token string, info TokenInfo, expiry time.Time) {
	key, input, ok := splitSigned(token)
	if !ok {
		return
	}
	jc.c.put(key, newSignedInfo(input, info.clone()), expiry)
}
