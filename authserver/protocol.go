package authserver

import (
	"slices"

	"github.com/kunci/kunci/store"
)

// GrantType names an authorization grant (RFC 6749 §1.3), as a client
// registers it in Client.GrantTypes (RFC 7591 §2).
type GrantType string

// The grant types kunci implements. GrantImplicit stands for the implicit
// grant's response_type=token (RFC 6749 §4.2, RFC 7591 §2.1); it has no
// grant_type value at the token endpoint.
const (
	GrantAuthorizationCode GrantType = "authorization_code"
	GrantRefreshToken      GrantType = "refresh_token"
	GrantClientCredentials GrantType = "client_credentials"
	GrantPassword          GrantType = "password"
	GrantImplicit          GrantType = "implicit"
)

// ResponseType is a response type of the authorization endpoint (RFC 6749
// §3.1.1), as a client registers it in Client.ResponseTypes.
type ResponseType string

// The response types kunci implements.
const (
	// ResponseCode asks for an authorization code (RFC 6749 §4.1.1).
	ResponseCode ResponseType = "code"
	// ResponseToken asks for an access token in the redirect URI's fragment:
	// the implicit grant (RFC 6749 §4.2.1).
	ResponseToken ResponseType = "token"
)

// grant returns the grant type that RFC 7591 §2.1 pairs with a response
// type.
func (rt ResponseType) grant() GrantType {
	if rt == ResponseToken {
		return GrantImplicit
	}
	return GrantAuthorizationCode
}

// AuthMethod is a client authentication method at the token endpoint
// (RFC 7591 §2 token_endpoint_auth_method).
type AuthMethod string

// The client authentication methods kunci implements.
const (
	// AuthMethodBasic sends the client ID and secret in an HTTP Basic
	// Authorization header (RFC 6749 §2.3.1).
	AuthMethodBasic AuthMethod = "client_secret_basic"
	// AuthMethodPost sends them as client_id and client_secret form
	// parameters (RFC 6749 §2.3.1).
	AuthMethodPost AuthMethod = "client_secret_post"
	// AuthMethodNone is a public client: it sends only its client_id
	// (RFC 6749 §2.1, RFC 7591 §2).
	AuthMethodNone AuthMethod = "none"
)

// PKCEMethod is a code challenge method (RFC 7636 §4.2).
type PKCEMethod string

// The PKCE methods kunci implements. Plain is accepted only with
// Compat.AcceptPlainPKCE.
const (
	PKCEMethodS256  PKCEMethod = "S256"
	PKCEMethodPlain PKCEMethod = "plain"
)

// TokenFormat is the format of a client's access tokens.
type TokenFormat string

// The access token formats.
const (
	// TokenFormatOpaque is a random string that only the server can look up;
	// the zero value.
	TokenFormatOpaque TokenFormat = ""
	// TokenFormatJWT is an RFC 9068 JWT access token that resource servers
	// can verify with the published keys.
	TokenFormatJWT TokenFormat = "jwt"
)

// ApplicationType is the kind of client (OpenID Connect Registration §2).
type ApplicationType string

// The application types.
const (
	// ApplicationWeb is a client on a web server; the default.
	ApplicationWeb ApplicationType = "web"
	// ApplicationNative is an app on the user's device. In the code flow it
	// may receive its redirect on a registered loopback http URI with any
	// port (RFC 8252 §7.3); web clients and the implicit grant must match
	// exactly.
	ApplicationNative ApplicationType = "native"
)

// allows reports whether a stored client registered grant.
func allows(c store.Client, grant GrantType) bool {
	return slices.Contains(c.GrantTypes, string(grant))
}
