// Package jws signs and verifies the compact JSON Web Signatures (RFC 7515
// §7.1) of kunci's access tokens directly with the standard library's
// crypto, for the algorithms of [github.com/kunci/kunci/internal/policy].
//
// A [Signer] encodes its protected header once, when it is made, so that a
// token costs one payload encoding and one signature. [Parse] splits and
// decodes a token strictly: exactly three parts, base64url without padding
// or line breaks (RFC 7515 §2), a protected header that is a JSON object
// with case-sensitive, unique member names, no "crit" header (RFC 7515
// §4.1.11) and no unencoded payload (RFC 7797). [Token.Verify] checks the
// signature with a public key of the algorithm the header names; the
// caller decides first, from its policy, whether that algorithm and key
// are acceptable.
//
// The tokens it makes are standard JWS: go-jose and other libraries verify
// them (see jws_test.go and the interop tests of authserver), and
// FuzzParseAgreesWithGoJose checks that every token [Parse] and
// [Token.Verify] accept is one go-jose accepts with the same payload.
// BenchmarkTokenJWT and BenchmarkJWT measure what this buys over go-jose's
// general machinery.
package jws
