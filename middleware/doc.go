// Package middleware protects the handlers of an OAuth 2.0 resource server:
// it authenticates bearer access tokens (RFC 6750) and enforces their scopes
// (RFC 6749 §3.3).
//
// Everything here has the signature func(http.Handler) http.Handler, so it
// composes with [net/http.ServeMux], chi and any other router. Each
// middleware has one constructor, which validates its configuration and
// returns an error for one that cannot work (a nil [Verifier], a negative
// length, a scope that is not a scope-token), so a mistake shows at start-up
// rather than as a 500 or a 403 on every request:
//
//	auth, err := middleware.Authenticate(verifier, middleware.Options{
//		Realm:    "api",
//		Audience: "https://api.example.com/", // this resource server
//	})
//	if err != nil {
//		return err
//	}
//	basicInfo, err := middleware.RequireScope("basic_info")
//	if err != nil {
//		return err
//	}
//	mux.Handle("GET /me", auth(basicInfo(me)))
//
// [Authenticate] reads the token from the Authorization header, checks it
// with a [Verifier], checks its audience when [Options.Audience] is set, and
// stores a [TokenInfo] in the request context, where handlers read it with
// [TokenInfoFromContext]. [RequireScope] and [RequireAnyScope] then check
// the granted scopes, answering refusals with the realm, error handler and
// logger of the Authenticate in front of them. All fail closed: a missing,
// malformed or rejected token, a token for another audience, a missing
// scope, a scope check without Authenticate in front, or a Verifier that
// cannot reach its backing store never reaches the next handler.
//
// # Audience
//
// A resource server must refuse tokens meant for another one (RFC 8707 §2,
// RFC 9068 §4). [JWTConfig.Audience] and [IntrospectionConfig.Audience]
// check it inside those verifiers; [Options.Audience] checks it in
// Authenticate for any Verifier, such as the in-process authorization
// server, against [TokenInfo.Audience].
//
// # Verifiers
//
// A [Verifier] decides whether a token is valid. The authorization server
// package implements it for tokens it issued itself; this package adds
//
//   - [IntrospectionVerifier], which asks a remote authorization server
//     through OAuth 2.0 Token Introspection (RFC 7662);
//   - [JWTVerifier], which checks JWT access tokens (RFC 9068) against the
//     issuer's published keys, accepting by default exactly the algorithms
//     kunci's authorization server signs with;
//   - [VerifierFunc], an adapter for plain functions and test stubs.
//
// Both verifiers cache results for a short, bounded while, keyed by the
// token's SHA-256. The introspection cache keeps inactive results apart from
// active ones, so a flood of unknown tokens cannot push valid ones out.
//
// # Responses
//
// Refusals follow RFC 6750 §3: 401 with a WWW-Authenticate: Bearer challenge
// when there is no token or it is invalid (error="invalid_token"), 400 with
// error="invalid_request" for a malformed request (a broken Authorization
// header, a token sent by more than one method, a token longer than
// [Options.MaxTokenLength]), and 403 with error="insufficient_scope" and the
// required scope. A Verifier's system failure gives 503 with no challenge.
// Every refusal carries Cache-Control: no-store. [Options] sets the realm and
// replaces the body through [Options.ErrorHandler].
package middleware
