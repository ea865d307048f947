package authserver

import (
	"net/url"
	"slices"

	"github.com/kunci/kunci/store"
)

// checkOpenIDResponseTypes checks Config.OpenID.ResponseTypes, and
// writes each in kunci's word order (canonicalResponseType).
func (c *Config) checkOpenIDResponseTypes(p *problems) {
	types := make([]ResponseType, 0, len(c.OpenID.ResponseTypes))
	for _, raw := range c.OpenID.ResponseTypes {
		rt := canonicalResponseType(string(raw))
		switch {
		case !slices.Contains(openIDResponseTypes(), rt):
			p.add("OpenID.ResponseTypes", "%q is not a response type of the implicit or hybrid flow (OpenID Connect Core §3.2, §3.3)", raw)
		case slices.Contains(types, rt):
			p.add("OpenID.ResponseTypes", "%q is listed twice", raw)
		}
		types = append(types, rt)
	}
	if len(types) > 0 && !slices.Contains(c.Grants, GrantImplicit) {
		p.add("OpenID.ResponseTypes", "need Grants to offer implicit: they return tokens from the authorization endpoint")
	}
	if c.OpenID.ResponseTypes != nil {
		c.OpenID.ResponseTypes = types
	}
}

// checkClientOpenIDResponseType checks a registration's response type of
// the implicit or hybrid flow: the server must offer it, and the client
// register the grant types it implies (OpenID Connect Registration §2)
// and the openid scope its requests need.
func (s *Server) checkClientOpenIDResponseType(p *problems, c Client, rt ResponseType) {
	if !s.offersResponseType(rt) {
		p.add("ResponseTypes", "%s is not offered by this server (Config.OpenID.ResponseTypes)", rt)
		return
	}
	for _, g := range rt.grants() {
		if !slices.Contains(c.GrantTypes, g) {
			p.add("ResponseTypes", "%s needs grant type %s (OpenID Connect Registration §2)", rt, g)
		}
	}
	if !slices.Contains(c.Scopes, scopeOpenID) {
		p.add("ResponseTypes", "%s needs the openid scope in Scopes: its requests are OpenID Connect ones", rt)
	}
}

// offersResponseType reports whether the server offers rt, one of the
// response types of the implicit and hybrid flows
// (Config.OpenID.ResponseTypes).
func (s *Server) offersResponseType(rt ResponseType) bool {
	return s.cfg.OpenID.Enabled && slices.Contains(s.cfg.OpenID.ResponseTypes, rt)
}

// checkOpenIDResponseType checks a request for a response type other than
// code and token, whose client and redirect URI are trusted: the server
// must offer it (unsupported_response_type otherwise, as for an unknown
// one), the client must have registered it with the grant types it
// implies (unauthorized_client), and the request must be an OpenID
// Connect one, since every such type is an OpenID Connect flow (Core §3.2,
// §3.3; invalid_request). The nonce these flows need is checked by
// checkOpenIDRequest.
func (s *Server) checkOpenIDResponseType(client store.Client, params url.Values, rt ResponseType) *Error {
	if !s.offersResponseType(rt) {
		return oauthError(CodeUnsupportedResponseType, "unsupported response_type")
	}
	for _, g := range rt.grants() {
		if !allows(client, g) || !slices.Contains(client.ResponseTypes, string(rt)) {
			return oauthError(CodeUnauthorizedClient, "client may not use response_type "+string(rt))
		}
	}
	if !s.openIDRequest(params) {
		return oauthError(CodeInvalidRequest, "response_type "+string(rt)+" needs the openid scope (OpenID Connect Core, sections 3.2 and 3.3)")
	}
	return nil
}
