package authserver

import "slices"

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
