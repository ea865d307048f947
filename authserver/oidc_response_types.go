package authserver

import (
	"slices"
	"strings"
)

// The response types of OpenID Connect's implicit and hybrid flows
// (OpenID Connect Core §3.2, §3.3; OAuth 2.0 Multiple Response Type
// Encoding Practices §3, §5). Each returns an ID Token, an access token
// or both from the authorization endpoint, in the redirect URI's fragment
// or by form_post, never in a query. A server offers them only when
// listed in Config.OpenID.ResponseTypes, and a client uses only those it
// registered in Client.ResponseTypes. The order of the words in a request
// does not matter ("id_token code" is ResponseCodeIDToken).
const (
	// ResponseIDToken returns an ID Token alone (Core §3.2), which then
	// carries the claims of the granted scopes (Core §5.4).
	ResponseIDToken ResponseType = "id_token"
	// ResponseIDTokenToken returns an ID Token and an access token (Core
	// §3.2).
	ResponseIDTokenToken ResponseType = "id_token token"
	// ResponseCodeIDToken returns a code and an ID Token (Core §3.3).
	ResponseCodeIDToken ResponseType = "code id_token"
	// ResponseCodeToken returns a code and an access token (Core §3.3).
	ResponseCodeToken ResponseType = "code token"
	// ResponseCodeIDTokenToken returns a code, an ID Token and an access
	// token (Core §3.3).
	ResponseCodeIDTokenToken ResponseType = "code id_token token"
)

// openIDResponseTypes lists the response types of the implicit and hybrid
// flows.
func openIDResponseTypes() []ResponseType {
	return []ResponseType{ResponseIDToken, ResponseIDTokenToken, ResponseCodeIDToken, ResponseCodeToken, ResponseCodeIDTokenToken}
}

// responseParts is what a response type returns from the authorization
// endpoint.
type responseParts struct{ code, token, idToken bool }

// parts returns what rt returns; nothing for a response type kunci does
// not know.
func (rt ResponseType) parts() responseParts {
	switch rt {
	case ResponseCode:
		return responseParts{code: true}
	case ResponseToken:
		return responseParts{token: true}
	case ResponseIDToken:
		return responseParts{idToken: true}
	case ResponseIDTokenToken:
		return responseParts{idToken: true, token: true}
	case ResponseCodeIDToken:
		return responseParts{code: true, idToken: true}
	case ResponseCodeToken:
		return responseParts{code: true, token: true}
	case ResponseCodeIDTokenToken:
		return responseParts{code: true, idToken: true, token: true}
	}
	return responseParts{}
}

// frontChannel reports whether rt returns a token or an ID Token from the
// authorization endpoint: its answer then never goes in a query (Multiple
// Response Types §2.1, §3).
func (rt ResponseType) frontChannel() bool {
	p := rt.parts()
	return p.token || p.idToken
}

// grants returns the grant types a client registers to use rt (RFC 7591
// §2.1, OpenID Connect Registration §2): authorization_code for a code,
// implicit for a token or an ID Token from the authorization endpoint.
func (rt ResponseType) grants() []GrantType {
	var out []GrantType
	if rt.parts().code {
		out = append(out, GrantAuthorizationCode)
	}
	if rt.frontChannel() {
		out = append(out, GrantImplicit)
	}
	return out
}

// canonicalResponseType returns the response_type raw in kunci's word
// order: the words of a response type form a set (Multiple Response Types
// §2), so "id_token code" is ResponseCodeIDToken. A value with an unknown
// or repeated word, or extra spaces, is returned unchanged, and is then
// refused as unsupported.
func canonicalResponseType(raw string) ResponseType {
	if len(raw) > len(ResponseCodeIDTokenToken) {
		// Longer than the longest: nothing to sort.
		return ResponseType(raw)
	}
	words := strings.Split(raw, " ")
	if len(words) < 2 {
		return ResponseType(raw)
	}
	slices.Sort(words)
	for _, rt := range openIDResponseTypes() {
		want := strings.Split(string(rt), " ")
		slices.Sort(want)
		if slices.Equal(words, want) {
			return rt
		}
	}
	return ResponseType(raw)
}
