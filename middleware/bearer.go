package middleware

import "strings"

// bearerResult classifies an Authorization header value.
type bearerResult int

const (
	// bearerOK: the scheme, spaces and a token, whose b64token syntax is
	// still to be checked (see splitCredentials).
	bearerOK bearerResult = iota
	// bearerAbsent: empty, or a credential of another scheme (Basic, DPoP,
	// ...). For this middleware that is a request without a bearer token,
	// answered without an error code (RFC 6750 §3.1).
	bearerAbsent
	// bearerMalformed: the scheme with no token or not followed by a space,
	// or no scheme at all, answered with error="invalid_request" (RFC 6750
	// §3.1).
	bearerMalformed
)

// splitCredentials splits an Authorization header value of the form
// scheme 1*SP token, where RFC 6750 §2.1 gives the Bearer scheme
//
//	credentials = "Bearer" 1*SP b64token
//	b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//
// and RFC 9449 §7.1 gives the DPoP scheme the same syntax. It returns the
// token unchecked: the b64token rule is the caller's, which extractAny
// applies to every token its Verifier does not already know (see
// knownTokens). The scheme is matched case-insensitively (RFC 9110 §11.1).
// Optional whitespace around the whole value is ignored, as HTTP strips it
// anyway (RFC 9110 §5.5), so a token that follows the spaces is never
// empty. It does no allocation.
func splitCredentials(header, scheme string) (string, bearerResult) {
	h := trimOWS(header)
	if h == "" {
		return "", bearerAbsent
	}
	n := 0
	for n < len(h) && isTchar(h[n]) {
		n++
	}
	if n == 0 {
		// Not even an auth-scheme: a broken header rather than another scheme.
		return "", bearerMalformed
	}
	if !strings.EqualFold(h[:n], scheme) {
		return "", bearerAbsent
	}
	rest := h[n:]
	sp := 0
	for sp < len(rest) && rest[sp] == ' ' {
		sp++
	}
	if sp == 0 {
		return "", bearerMalformed
	}
	return rest[sp:], bearerOK
}

// isB64token reports whether s matches the RFC 6750 §2.1 b64token rule.
func isB64token(s string) bool {
	i := 0
	for i < len(s) && isB64char(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// b64chars holds, at index c, '1' when the byte c is one of the b64token
// characters other than the trailing "=" padding (ALPHA / DIGIT / "-" /
// "." / "_" / "~" / "+" / "/") and '0' otherwise: a lookup in a constant,
// with no branch a token's mix of letters and punctuation could
// mispredict, and no table kept in a package variable.
const b64chars = "0000000000000000000000000000000000000000000101111111111111000000" + // 0x00-0x3f: "+", "-", ".", "/", "0"-"9"
	"0111111111111111111111111110000101111111111111111111111111100010" + // 0x40-0x7f: "A"-"Z", "_", "a"-"z", "~"
	"0000000000000000000000000000000000000000000000000000000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000"

// isB64char reports whether c is one of the b64token characters other than
// the trailing "=" padding.
func isB64char(c byte) bool {
	return b64chars[c] == '1'
}

// tchars holds, at index c, '1' when the byte c may appear in an RFC 9110
// §5.6.2 token, the syntax of an auth-scheme: ALPHA / DIGIT and
// "!#$%&'*+-.^_`|~"; '0' otherwise, as b64chars does for b64token.
const tchars = "0000000000000000000000000000000001011111001101101111111111000000" + // 0x00-0x3f
	"0111111111111111111111111110001111111111111111111111111111101010" + // 0x40-0x7f
	"0000000000000000000000000000000000000000000000000000000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000"

// isTchar reports whether c may appear in an RFC 9110 §5.6.2 token.
func isTchar(c byte) bool {
	return tchars[c] == '1'
}

// trimOWS returns s without the spaces and tabs (RFC 9110 §5.6.3 OWS)
// around it.
func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
