// Package dpop verifies DPoP proofs (RFC 9449) for both the authorization
// server's token endpoint and the resource-server middleware, so that the
// two apply one rule: one list of algorithms, one htu normalisation, one
// iat window, one jti replay check and one nonce scheme.
//
// A [Verifier] checks a proof as RFC 9449 §4.3 lists: a compact JWS of at
// most [MaxProofLength] bytes with typ "dpop+jwt", an allowed asymmetric
// alg, a public key (and only a public key) in the jwk header that
// verifies the signature, htm and htu matching the request, iat within the
// window, ath matching the access token when one is presented (§7.1), the
// server's nonce when one is required (§8, §9), and a jti not seen before
// within the window (§11.1), recorded only after everything else passed.
package dpop
