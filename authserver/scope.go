package authserver

import (
	"slices"
	"strings"
)

// maxScopeLen bounds the scope parameter.
const maxScopeLen = 2048

// validScopeToken reports whether s is a scope-token of RFC 6749 §3.3:
// one or more of %x21 / %x23-5B / %x5D-7E.
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// parseScope splits a scope parameter (RFC 6749 §3.3) into its tokens,
// dropping duplicates and keeping their order. It reports false for a
// malformed value: a bad token, or separators other than single spaces.
func parseScope(s string) ([]string, bool) {
	if s == "" {
		return nil, true
	}
	if len(s) > maxScopeLen {
		return nil, false
	}
	parts := strings.Split(s, " ")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if !validScopeToken(p) {
			return nil, false
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, true
}

// subset reports whether every element of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// intersect returns the elements of a that are in b, in a's order.
func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// grantScopes decides the scopes of a request for client (RFC 6749 §3.3):
// requested scopes must all be known to the server and registered for the
// client; an empty request gets the default scopes the client registered.
func (s *Server) grantScopes(requested []string, clientScopes []string) ([]string, *Error) {
	if len(requested) == 0 {
		return intersect(s.cfg.DefaultScopes, clientScopes), nil
	}
	for _, sc := range requested {
		if _, known := s.scopes[sc]; !known || !slices.Contains(clientScopes, sc) {
			return nil, oauthError(CodeInvalidScope, "scope not allowed: "+sc)
		}
	}
	return requested, nil
}
