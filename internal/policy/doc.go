// Package policy defines, once, the protocol rules that the authorization
// server ([github.com/kunci/kunci/authserver]) and the resource-server
// middleware ([github.com/kunci/kunci/middleware]) must agree on: which JWS
// algorithms sign and verify access tokens, which keys fit them, the
// syntax and size limits of scope and resource parameters, and the
// characters an error_description may hold.
//
// Keeping one copy matters: with two lists, a server signing with an
// algorithm its own middleware does not accept issues tokens nobody can use.
package policy
