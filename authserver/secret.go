package authserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
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

// maxTokenLen bounds any token the server will hash. Longer input is rejected
// without work.
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

// newID returns a random identifier for grants and pending requests.
func newID() string {
	var buf [16]byte
	rand.Read(buf[:])
	return b64.EncodeToString(buf[:])
}

// hashToken returns the form in which a token, code or secret reaches the
// store: SHA-256, base64url without padding. The inputs are high-entropy, so
// a fast unsalted hash is enough to make a leaked store useless.
func hashToken(token string) string {
	// Copying into a stack buffer keeps the hot path to one allocation,
	// the returned string.
	var in [256]byte
	var sum [sha256.Size]byte
	if len(token) <= len(in) {
		sum = sha256.Sum256(append(in[:0], token...))
	} else {
		sum = sha256.Sum256([]byte(token))
	}
	var out [43]byte // base64.RawURLEncoding.EncodedLen(sha256.Size)
	b64.Encode(out[:], sum[:])
	return string(out[:])
}

// secretMatches compares a presented secret with a stored hash in constant
// time.
func secretMatches(presented, storedHash string) bool {
	h := hashToken(presented)
	return subtle.ConstantTimeCompare([]byte(h), []byte(storedHash)) == 1
}

// hasPrefix reports whether token looks like a token of the kind prefix.
func hasPrefix(token, prefix string) bool {
	return len(token) <= maxTokenLen && strings.HasPrefix(token, prefix)
}

// successorToken derives the refresh token that replaces token, used only
// when a refresh grace period is configured: a client that lost the response
// can present the old token again and receive the very same successor,
// although the store keeps nothing but hashes.
func successorToken(key []byte, token string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(token))
	return prefixRefresh + b64.EncodeToString(mac.Sum(nil))
}
