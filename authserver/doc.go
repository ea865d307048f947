// Package authserver is an OAuth 2.0 authorization server (RFC 6749) that a
// Go web app embeds: [New] returns a [Server], an [http.Handler] to mount on
// the app's mux, which keeps its state in any [store.Store].
//
// # Endpoints
//
// With the default [Paths], a Server answers on:
//
//   - GET and POST /oauth/authorize: the authorization endpoint (RFC 6749
//     §3.1), response_type code with PKCE (RFC 7636) and, for clients that
//     enable it, token (the implicit grant).
//   - /consent-sso: Prakerja's alias of the authorization endpoint.
//   - POST /oauth/consent: the user's decision from the consent page.
//   - POST /oauth/token: the token endpoint (RFC 6749 §3.2) with the
//     authorization_code, refresh_token, client_credentials and password
//     grants.
//   - POST /oauth/refresh and /oauth/refreshAccessToken: refresh-only aliases
//     of the token endpoint (Apigee, NU.ID).
//   - POST /oauth/revoke: token revocation (RFC 7009).
//   - POST /oauth/introspect: token introspection (RFC 7662).
//
// Mount the server under a prefix with [http.StripPrefix], for example
// mux.Handle("/api/oauth/", http.StripPrefix("/api", srv)).
//
// # What the host provides
//
// kunci does not sign users in. Config.CurrentUser tells it who is signed in
// to the host app and Config.LoginURL where to send a user who is not; the
// login page sends the user back to the "return_to" address it was given.
// Config.CheckPassword checks credentials for the password grant.
//
// # Security defaults
//
// Redirect URIs match exactly; PKCE S256 is required for public clients;
// codes are single use and a replayed code revokes its grant; refresh tokens
// rotate on every use and a replayed one revokes its grant (RFC 9700);
// tokens, codes and secrets reach the store only as SHA-256 hashes; the
// implicit and password grants are off unless a client registers them.
//
// # Protecting APIs
//
// A *Server is a [middleware.Verifier], so a resource handler in the same
// process is protected with
//
//	middleware.Authenticate(srv)(middleware.RequireScope("basic_info")(h))
package authserver
