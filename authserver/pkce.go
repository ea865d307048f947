package authserver

import (
	"crypto/subtle"

	"github.com/kunci/kunci/internal/digest"
)

// validPKCEValue reports whether v is a code_verifier or S256 code_challenge
// of the right form: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" /
// "." / "_" / "~" (RFC 7636 §4.1, §4.2).
func validPKCEValue(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// verifyPKCE checks a code_verifier against the stored challenge
// (RFC 7636 §4.6), in constant time.
func verifyPKCE(verifier, challenge string, method PKCEMethod) bool {
	if !validPKCEValue(verifier) {
		return false
	}
	var want string
	switch method {
	case PKCEMethodS256:
		sum := digest.SHA256(verifier)
		want = b64.EncodeToString(sum[:])
	case PKCEMethodPlain:
		want = verifier
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}
