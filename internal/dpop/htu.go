package dpop

import (
	"net/url"
	"strings"
)

// SameURI reports whether the htu of a proof names the request URI want, as
// RFC 9449 §4.3 compares them: query and fragment ignored, and the syntax-
// and scheme-based normalisation of RFC 3986 §6.2.2 and §6.2.3 (scheme and
// host case-insensitive, the scheme's default port the same as none, an
// empty path the same as "/"). Only http and https URIs match.
func SameURI(htu, want string) bool {
	a, ok := normalURI(htu)
	if !ok {
		return false
	}
	b, ok := normalURI(want)
	return ok && a == b
}

// normalURI returns the normal form of an absolute http or https URI,
// without query and fragment.
func normalURI(s string) (string, bool) {
	if len(s) > MaxProofLength {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	switch {
	case scheme == "https" && port == "443", scheme == "http" && port == "80":
		port = ""
	case scheme != "https" && scheme != "http":
		return "", false
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}
