// Package authserver is an OAuth 2.0 authorization server (RFC 6749) that a
// Go web app embeds: [New] returns a [Server], an [http.Handler] to mount on
// the app's mux, which keeps its state in any [store.Store].
//
// # Endpoints
//
// With the default [Paths], a Server answers on:
//
//   - GET and POST /oauth/authorize: the authorization endpoint (RFC 6749
//     §3.1), response_type code with PKCE (RFC 7636) and, when the server
//     and the client both enable it, token (the implicit grant); with
//     prompt and max_age (OpenID Connect Core §3.1.2.1) on every request,
//     response_mode form_post (OAuth 2.0 Form Post Response Mode), a
//     pushed request's request_uri (RFC 9126 §4) and dpop_jkt (RFC 9449
//     §10).
//   - POST /oauth/consent: the user's decision from the consent page.
//   - POST /oauth/par: pushed authorization requests (RFC 9126), served
//     with the authorization endpoint.
//   - POST /oauth/token: the token endpoint (RFC 6749 §3.2) with the
//     authorization_code, refresh_token, client_credentials and (opt-in)
//     password grants.
//   - POST /oauth/revoke: token revocation (RFC 7009).
//   - POST /oauth/introspect: token introspection (RFC 7662).
//   - GET /oauth/jwks: the public signing keys, with Config.JWT.SigningKeys.
//   - GET /.well-known/oauth-authorization-server: metadata (RFC 8414).
//
// and with Config.OpenID (OpenID Connect Core 1.0, see [OpenID]):
//
//   - GET and POST /oauth/userinfo: the UserInfo endpoint (Core §5.3).
//   - GET /.well-known/openid-configuration: the same metadata as the
//     OpenID Provider configuration (Discovery §4).
//   - GET and POST /oauth/logout: the end_session_endpoint (RP-Initiated
//     Logout 1.0 §2), with OpenID.EndSession.
//
// With OpenID.ResponseTypes the authorization endpoint also answers the
// implicit and hybrid flows (Core §3.2, §3.3); Config.DPoP binds tokens
// to a client's key (RFC 9449); clients may authenticate with
// private_key_jwt (RFC 7523); the token, revocation and UserInfo
// endpoints answer CORS for the origins of the calling client ([CORS]);
// every page speaks English and Bahasa Indonesia ([PageTexts]).
//
// and, for the APIs kunci was specified from, unless [Compat] turns them
// off: /consent-sso (Prakerja's authorization endpoint with client_name and
// login_uri), and /oauth/refresh and /oauth/refreshAccessToken,
// refresh-only aliases of the token endpoint (Apigee, NU.ID).
//
// Mount the server under a prefix with [http.StripPrefix], for example
// mux.Handle("/api/oauth/", http.StripPrefix("/api", srv)).
//
// # What the host provides
//
// kunci does not sign users in. Config.Browser.Session tells it who is
// signed in to the host app ([Session]) and Config.Browser.LoginURL where to
// send a user who is not, or who must authenticate again (prompt=login,
// max_age); the login page sends the user back to the "return_to" address
// it was given, and receives the client's hints for the sign-in. Config.CheckPassword checks credentials
// for the password grant.
//
// # Security defaults
//
// Redirect URIs match exactly; PKCE S256 is required for public clients and
// by default for confidential ones; codes are single use, checked before
// they are spent, and a replayed code revokes its grant; refresh tokens
// rotate on every use and a replayed one revokes its grant (RFC 9700
// §4.14.2); every code and token names its grant, which ends after
// Config.Lifetimes.Grant at the latest; tokens, codes and secrets reach the
// store only as SHA-256 hashes; the implicit and password grants are off
// unless both the server and the client enable them. A setting that cannot
// work is an error from New or [Server.RegisterClient] naming the field
// ([FieldError]).
//
// # Protecting APIs
//
// A *Server is a [middleware.Verifier], so a resource handler in the same
// process is protected with [middleware.Authenticate] and
// [middleware.RequireScope].
package authserver
