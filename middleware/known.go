package middleware

// knownTokens is implemented by the Verifiers of this package that cache
// what they verified, [JWTVerifier] and [IntrospectionVerifier].
// Authenticate asks it first when its Verifier is one of these, that very
// type. A token it knows is, byte for byte, one the verifier accepted
// earlier and still holds as live, so the middleware takes that answer
// without calling VerifyAccessToken, and without checking the token's
// b64token syntax (RFC 6750 §2.1) again, which every token met when it was
// cached. A token it does not know is checked and verified as any other. A
// Verifier the host writes, or one that wraps or embeds one of these, is
// always called.
type knownTokens interface {
	// known returns the cached answer for token, a TokenInfo the caller
	// owns, or false.
	known(token string) (TokenInfo, bool)
}
