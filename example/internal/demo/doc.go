// Package demo is the kunci demo app that example/main.go runs: an OAuth 2.0
// authorization server (RFC 6749) and OpenID Provider (OpenID Connect Core
// 1.0) for its demo users built on package authserver, a host login
// page with a session cookie, and a small protected API (RFC 6750) built on
// package middleware, all in one http.Handler.
//
// It is an importable package, rather than part of package main, so that the
// browser test in example/browsertest (a separate module) can serve exactly
// the handler that "go run ./example" serves.
//
// # Routes
//
//   - /oauth/*, /consent-sso, /.well-known/oauth-authorization-server and
//     /.well-known/openid-configuration: the authorization server
//     (authserver.Server), mounted as is, UserInfo at /oauth/userinfo
//     included.
//   - GET and POST /login: the host's sign-in page, which authserver sends
//     users to ("login needed") with return_to and cancel_to parameters.
//   - POST /logout: ends the session.
//   - GET /signed-out: nuid-web's and fapi-client's post_logout_redirect_uri,
//     which shows the state it got.
//   - GET /api/me: the signed-in user's profile, for any access token of this
//     server with scope basic_info; the phone number needs scope phone.
//   - GET /api/jwt/me: the same, for RFC 9068 JWT access tokens whose
//     audience is Issuer + "/api", checked with middleware.JWTVerifier
//     against the server's own JWKS.
//   - GET /, /callback and /partner/login: plain pages for the demo clients'
//     redirect URI and Prakerja login_uri, which show the parameters they got;
//     /callback also takes them by POST (response_mode=form_post), and then
//     answers 400 to a form that is not an authorization response: neither
//     code nor error, both, or a parameter given twice.
//
// # OpenID Connect
//
// A request with scope openid signs the user in (Core §3.1): the code
// exchanges for an ID Token signed RS256 (or the client's
// id_token_signed_response_alg), and UserInfo answers with the user's
// claims per approved scope (see [Scopes]): basic_info gives name and
// email, phone gives phone_number, and profile, email, address and phone
// the standard claims of Core §5.4 from the user's claims. With
// response_mode=form_post (OAuth 2.0 Form Post Response Mode) the server
// answers Allow with a page that posts code, state and iss to POST
// /callback, so the code stays out of the browser's history.
//
// # Logout and pairwise subjects
//
// The end_session_endpoint /oauth/logout (RP-Initiated Logout 1.0) ends
// the demo session through authserver.OpenID.EndSession, which clears the
// session cookie as POST /logout does; with an id_token_hint of the
// signed-in user it does so at once, otherwise after the user confirms on
// the server's logout page, and then redirects to the client's registered
// post_logout_redirect_uri with state. A client with subject_type pairwise
// gets a sub derived with [Config.PairwiseKey] (OpenID Connect Core §8.1),
// a fresh key per run unless the host passes one.
//
// # FAPI-style client
//
// [FAPIClient] is a client that authenticates with private_key_jwt (RFC
// 7523 §2.2) against an inline jwks and must push its authorization
// requests (RFC 9126); "go run ./example" adds it with an ES256 key drawn
// per run ([NewClientKey]), kept for the assertion helper
// example/cmd/clientassertion in a temporary file that only the user can
// read and that is deleted when the demo stops. The key is for the demo
// only.
//
// # Data
//
// Clients and users come from a [Data] value: [DefaultData] for the built-in
// demo, or [LoadData] for a JSON file in RFC 7591 client metadata terms
// (with OpenID Connect Registration's names, post_logout_redirect_uris,
// jwks, jwks_uri and require_pushed_authorization_requests: see
// [ClientSpec]), whose users carry standard claims in "claims".
package demo
