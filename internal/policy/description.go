package policy

import "strings"

// ErrorDescription returns s as an error_description may carry it. RFC
// 6749 §4.1.2.1 and §5.2, and RFC 6750 §3 for the WWW-Authenticate
// attribute, allow the printable ASCII characters other than the double
// quote and the backslash (%x20-21 / %x23-5B / %x5D-7E). A double quote
// becomes an apostrophe, a backslash a slash, and any other character
// outside the set, a UTF-8 sequence counting as one, a question mark. s
// comes back as it is, without allocating, when it needs no change, which
// is the case for every description kunci writes itself: the rest come from
// what a request sent, such as a parameter's name.
func ErrorDescription(s string) string {
	i := 0
	for i < len(s) && descriptionChar(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r < 0x80 && descriptionChar(byte(r)):
			b.WriteRune(r)
		case r == '"':
			b.WriteByte('\'')
		case r == '\\':
			b.WriteByte('/')
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// descriptionChar reports whether c may appear in an error_description.
func descriptionChar(c byte) bool {
	return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'
}
