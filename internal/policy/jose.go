package policy

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"

	jose "github.com/go-jose/go-jose/v4"
)

// minRSABits is the smallest RSA modulus accepted for signing or verifying
// (RFC 7518 §3.3: "a key of size 2048 bits or larger MUST be used").
const minRSABits = 2048

// SigningAlgorithms returns the JWS algorithms the authorization server can
// sign access tokens with, which are also the ones a JWT verifier accepts by
// default: ES256, ES384, ES512, EdDSA, RS256 and PS256. RS256 is in the list
// because RFC 9068 §2.1 requires it; all are asymmetric, never "none" or
// HMAC (RFC 8725 §3.1). Each call returns a new slice the caller owns.
func SigningAlgorithms() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.RS256, jose.PS256}
}

// Asymmetric reports whether alg is an asymmetric JWS algorithm of RFC 7518
// §3.1 or RFC 8037 §3.1 that a verifier may be configured to accept: RS256,
// RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA. "none" and
// the HMAC algorithms are never acceptable for access tokens (RFC 9068 §4,
// RFC 8725 §3.1).
func Asymmetric(alg jose.SignatureAlgorithm) bool {
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512, jose.EdDSA:
		return true
	}
	return false
}

// KeyFits reports whether key, public or private, is of the type and size
// alg needs: an RSA key of at least 2048 bits for RS* and PS* (RFC 7518
// §3.3, §3.5), an ECDSA key on P-256, P-384 or P-521 for ES256, ES384 or
// ES512 (RFC 7518 §3.4), an Ed25519 key for EdDSA (RFC 8037 §3.1). The key
// types are those of the standard library: *ecdsa.PublicKey,
// *ecdsa.PrivateKey, ed25519.PublicKey, ed25519.PrivateKey, *rsa.PublicKey
// and *rsa.PrivateKey. It is false for any other key, for a nil key and for
// an algorithm that is not [Asymmetric].
func KeyFits(key any, alg jose.SignatureAlgorithm) bool {
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		k := rsaPublic(key)
		return k != nil && k.N != nil && k.N.BitLen() >= minRSABits
	case jose.ES256:
		return ecCurve(key) == elliptic.P256()
	case jose.ES384:
		return ecCurve(key) == elliptic.P384()
	case jose.ES512:
		return ecCurve(key) == elliptic.P521()
	case jose.EdDSA:
		switch k := key.(type) {
		case ed25519.PublicKey:
			return len(k) == ed25519.PublicKeySize
		case ed25519.PrivateKey:
			return len(k) == ed25519.PrivateKeySize
		}
	}
	return false
}

// rsaPublic returns the public half of an RSA key, or nil.
func rsaPublic(key any) *rsa.PublicKey {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return k
	case *rsa.PrivateKey:
		if k != nil {
			return &k.PublicKey
		}
	}
	return nil
}

// ecCurve returns the curve of an ECDSA key, or nil.
func ecCurve(key any) elliptic.Curve {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if k != nil {
			return k.Curve
		}
	case *ecdsa.PrivateKey:
		if k != nil {
			return k.Curve
		}
	}
	return nil
}
