// Package middleware protects the handlers of an OAuth 2.0 resource server:
// it authenticates bearer access tokens (RFC 6750) and enforces their scopes
// (RFC 6749 §3.3).
//
// Everything here has the signature func(http.Handler) http.Handler, so it
// composes with [net/http.ServeMux], chi and any other router:
//
//	auth := middleware.Authenticate(verifier)
//	mux.Handle("GET /me", auth(middleware.RequireScope("basic_info")(me)))
//
// [Authenticate] reads the token from the Authorization header, checks it
// with a [Verifier] and stores a [TokenInfo] in the request context, where
// handlers read it with [TokenInfoFromContext]. [RequireScope] and
// [RequireAnyScope] then check the granted scopes. Both fail closed: a
// missing, malformed or rejected token, a missing scope, or a Verifier that
// cannot reach its backing store never reaches the next handler.
//
// # Verifiers
//
// A [Verifier] decides whether a token is valid. The authorization server
// package implements it for tokens it issued itself; this package adds
//
//   - [IntrospectionVerifier], which asks a remote authorization server
//     through OAuth 2.0 Token Introspection (RFC 7662);
//   - [JWTVerifier], which checks JWT access tokens (RFC 9068) against the
//     issuer's published keys;
//   - [VerifierFunc], an adapter for plain functions and test stubs.
//
// # Responses
//
// Refusals follow RFC 6750 §3: 401 with a WWW-Authenticate: Bearer challenge
// when there is no token or it is invalid (error="invalid_token"), 400 with
// error="invalid_request" for a malformed request, and 403 with
// error="insufficient_scope" and the required scope. A Verifier's system
// failure gives 503 with no challenge. Every refusal carries
// Cache-Control: no-store. [Options] sets the realm and replaces the body.
package middleware
