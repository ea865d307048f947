// Package demo is the kunci demo app that example/main.go runs: an OAuth 2.0
// authorization server (RFC 6749) built on package authserver, a host login
// page with a session cookie, and a small protected API (RFC 6750) built on
// package middleware, all in one http.Handler.
//
// It is an importable package, rather than part of package main, so that the
// browser test in example/browsertest (a separate module) can serve exactly
// the handler that "go run ./example" serves.
//
// # Routes
//
//   - /oauth/*, /consent-sso and /.well-known/oauth-authorization-server: the
//     authorization server (authserver.Server), mounted as is.
//   - GET and POST /login: the host's sign-in page, which authserver sends
//     users to ("login needed") with return_to and cancel_to parameters.
//   - POST /logout: ends the session.
//   - GET /api/me: the signed-in user's profile, for any access token of this
//     server with scope basic_info; the phone number needs scope phone.
//   - GET /api/jwt/me: the same, for RFC 9068 JWT access tokens whose
//     audience is Issuer + "/api", checked with middleware.JWTVerifier
//     against the server's own JWKS.
//   - GET /, /callback and /partner/login: plain pages for the demo clients'
//     redirect URI and Prakerja login_uri, which show the parameters they got.
//
// # Data
//
// Clients and users come from a [Data] value: [DefaultData] for the built-in
// demo, or [LoadData] for a JSON file in RFC 7591 client metadata terms.
package demo
