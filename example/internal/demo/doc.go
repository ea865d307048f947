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
// # Data
//
// Clients and users come from a [Data] value: [DefaultData] for the built-in
// demo, or [LoadData] for a JSON file in RFC 7591 client metadata terms
// (with OpenID Connect Registration's id_token_signed_response_alg and
// default_max_age), whose users carry standard claims in "claims".
package demo
