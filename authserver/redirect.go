package authserver

import (
	"net"
	"net/url"
	"strings"

	"github.com/kunci/kunci/store"
)

// matchRedirectURI returns the registered redirect URI that requested
// names. Matching is exact string comparison (RFC 9700 §4.1.3), with one
// exception when anyLoopbackPort is set (see [loopbackAnyPort]): for an http
// URI whose host is a loopback IP literal, the port may differ, because
// native apps listen on whatever port is free (RFC 8252 §7.3).
func matchRedirectURI(registered []string, requested string, anyLoopbackPort bool) (string, bool) {
	for _, r := range registered {
		if r == requested {
			return r, true
		}
	}
	if !anyLoopbackPort {
		return "", false
	}
	req, ok := loopbackWithoutPort(requested)
	if !ok {
		return "", false
	}
	for _, r := range registered {
		if reg, ok := loopbackWithoutPort(r); ok && reg == req {
			return requested, true
		}
	}
	return "", false
}

// loopbackAnyPort reports whether an authorization request of client with
// the given response_type values may use the any-port rule of RFC 8252
// §7.3. The rule is for native apps, which cannot know their port in
// advance, so only clients registered with application_type native get it.
// It serves the code flow only: the implicit grant (response_type=token)
// would hand the token itself to whatever listens on the port, with no code
// and no PKCE verifier to stop another app on the device from using it.
// A missing response_type counts as the code flow; the request then fails
// or, at consent-sso, means code.
func loopbackAnyPort(client store.Client, responseTypes []string) bool {
	if ApplicationType(client.ApplicationType) != ApplicationNative {
		return false
	}
	for _, rt := range responseTypes {
		if ResponseType(rt) != ResponseCode {
			return false
		}
	}
	return true
}

// loopbackWithoutPort returns raw with its port removed if raw is a plain
// http URI on a loopback IP literal (127.0.0.0/8 or ::1), and reports
// whether it is one. URIs with user info, a fragment, or anything unusual
// in the authority do not qualify.
func loopbackWithoutPort(raw string) (string, bool) {
	rest, ok := strings.CutPrefix(raw, "http://")
	if !ok {
		return "", false
	}
	authority, path := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	if strings.ContainsAny(authority, "@%") || strings.Contains(path, "#") {
		return "", false
	}
	host := authority
	if h, port, err := net.SplitHostPort(authority); err == nil {
		if port == "" || !allDigits(port) {
			return "", false
		}
		host = h
	} else if strings.Contains(authority, ":") && !strings.HasPrefix(authority, "[") {
		return "", false
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() || ip.String() != host {
		return "", false
	}
	if _, err := url.Parse(raw); err != nil {
		return "", false
	}
	return "http://" + host + path, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendParams adds params to the query (or, for the implicit grant, the
// fragment) of a redirect URI, keeping the URI's own query as it is
// (RFC 6749 §3.1.2: the query component must be retained).
func appendParams(base string, params url.Values, fragment bool) string {
	enc := params.Encode()
	if fragment {
		return base + "#" + enc
	}
	if strings.Contains(base, "?") {
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			return base + enc
		}
		return base + "&" + enc
	}
	return base + "?" + enc
}
