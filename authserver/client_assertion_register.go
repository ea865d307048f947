package authserver

import (
	"net/url"
	"slices"
	"strings"
)

// checkClientHighSecurity checks the registration fields of private_key_jwt
// (RFC 7591 §2, OpenID Connect Registration §2) and pushed authorization
// requests (RFC 9126 §6): keys exactly for a private_key_jwt client,
// inline or by URL but not both (RFC 7591 §2: "MUST NOT both be present"),
// and settings that could never apply.
func (s *Server) checkClientHighSecurity(p *problems, c Client, method AuthMethod) {
	if method != AuthMethodPrivateKeyJWT {
		for _, f := range []struct {
			name string
			set  bool
		}{{"JWKS", c.JWKS != nil}, {"JWKSURI", c.JWKSURI != ""}, {"AuthSigningAlg", c.AuthSigningAlg != ""}, {"AcceptEndpointAudience", c.AcceptEndpointAudience}} {
			if f.set {
				p.add(f.name, "needs AuthMethod private_key_jwt")
			}
		}
	} else {
		switch {
		case c.JWKS != nil && c.JWKSURI != "":
			p.add("JWKSURI", "must not be set beside JWKS (RFC 7591 §2)")
		case c.JWKS == nil && c.JWKSURI == "":
			p.add("JWKS", "or JWKSURI is required for AuthMethod private_key_jwt")
		case c.JWKS != nil && int64(len(c.JWKS)) > s.cfg.ClientAssertions.MaxJWKSBytes:
			p.add("JWKS", "is larger than ClientAssertions.MaxJWKSBytes (%d)", s.cfg.ClientAssertions.MaxJWKSBytes)
		case c.JWKS != nil:
			if _, err := parseClientJWKS(c.JWKS); err != nil {
				p.add("JWKS", "%v", strings.TrimPrefix(err.Error(), "authserver: "))
			}
		default:
			if err := checkJWKSURI(c.JWKSURI); err != "" {
				p.add("JWKSURI", "%s", err)
			}
		}
		if c.AuthSigningAlg != "" && !slices.Contains(assertionAlgorithms(), c.AuthSigningAlg) {
			p.add("AuthSigningAlg", "%q is not one of %v, the asymmetric algorithms the server accepts", c.AuthSigningAlg, assertionAlgorithms())
		}
	}
	if c.RequirePushedAuthorizationRequests && !s.cfg.browserEnabled() {
		p.add("RequirePushedAuthorizationRequests", "needs the browser side (Config.Browser): there is no authorization endpoint")
	}
}

// checkJWKSURI returns what is wrong with a jwks_uri, or "": it must be an
// absolute https URL without a fragment, or http on a loopback IP address
// (for tests and local development).
func checkJWKSURI(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return "must be an absolute URL"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not have a fragment"
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && isLoopbackIP(u.Hostname()):
		return ""
	}
	return "must be https (http only on a loopback IP address)"
}
