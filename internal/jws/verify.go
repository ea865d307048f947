package jws

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"math/big"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"

	"github.com/kunci/kunci/internal/policy"
)

// ErrMalformed is the error of [Parse] for anything that is not a compact
// JWS as described in the package doc.
var ErrMalformed = errors.New("jws: malformed compact JWS")

// ErrSignature is the error of [Token.Verify] for a signature that does not
// verify, or a key of the wrong type for the header's alg.
var ErrSignature = errors.New("jws: signature does not verify")

// Header holds the members of a JWS Protected Header (RFC 7515 §4.1) a
// verifier uses.
type Header struct {
	Alg jose.SignatureAlgorithm `json:"alg"`
	Kid string                  `json:"kid"`
	Typ string                  `json:"typ"`
	// Crit and B64 are read only so that a header carrying them is refused.
	Crit *josejson.RawMessage `json:"crit"`
	B64  *josejson.RawMessage `json:"b64"`
}

// Token is a parsed compact JWS whose signature has not been checked yet.
type Token struct {
	Header  Header
	Payload []byte // decoded, not yet trusted
	input   string // the JWS Signing Input, header.payload
	sig     []byte
}

// Parse splits and decodes a compact JWS (RFC 7515 §7.1) strictly, as the
// package doc describes. It checks no signature.
func Parse(token string) (*Token, error) {
	head, rest, ok := strings.Cut(token, ".")
	if !ok {
		return nil, ErrMalformed
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig, '.') >= 0 || head == "" || sig == "" {
		return nil, ErrMalformed
	}
	// The standard library's decoder skips CR and LF even in strict mode;
	// a compact JWS has neither (RFC 7515 §7.1), and a token read past them
	// would have more than one spelling.
	if strings.IndexByte(token, '\n') >= 0 || strings.IndexByte(token, '\r') >= 0 {
		return nil, ErrMalformed
	}
	strict := b64.Strict()
	rawHead, err := strict.DecodeString(head)
	if err != nil {
		return nil, ErrMalformed
	}
	t := &Token{input: token[:len(head)+1+len(payload)]}
	if t.Payload, err = strict.DecodeString(payload); err != nil {
		return nil, ErrMalformed
	}
	if t.sig, err = strict.DecodeString(sig); err != nil {
		return nil, ErrMalformed
	}
	if len(rawHead) == 0 || rawHead[0] != '{' {
		return nil, ErrMalformed
	}
	if err := josejson.Unmarshal(rawHead, &t.Header); err != nil {
		return nil, ErrMalformed
	}
	if t.Header.Alg == "" || t.Header.Crit != nil || t.Header.B64 != nil {
		return nil, ErrMalformed
	}
	return t, nil
}

// Verify checks the signature with key, the public key for the header's
// alg: *ecdsa.PublicKey for ES*, ed25519.PublicKey for EdDSA,
// *rsa.PublicKey for RS* and PS*. ES* signatures must be R || S of
// exactly twice the curve's size (RFC 7518 §3.4); PS* use a salt as long as
// the hash (RFC 7518 §3.5). Any other algorithm fails.
func (t *Token) Verify(key any) error {
	alg := t.Header.Alg
	if !policy.KeyFits(key, alg) {
		return ErrSignature
	}
	in := []byte(t.input)
	ok := false
	switch k := key.(type) {
	case ed25519.PublicKey:
		ok = alg == jose.EdDSA && len(k) == ed25519.PublicKeySize && ed25519.Verify(k, in, t.sig)
	case *ecdsa.PublicKey:
		n := (k.Curve.Params().BitSize + 7) / 8
		if ecAlg(alg) && len(t.sig) == 2*n {
			r := new(big.Int).SetBytes(t.sig[:n])
			s := new(big.Int).SetBytes(t.sig[n:])
			ok = ecdsa.Verify(k, digest(alg, in), r, s)
		}
	case *rsa.PublicKey:
		switch {
		case pss(alg):
			ok = rsa.VerifyPSS(k, hashOf(alg), digest(alg, in), t.sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		case alg == jose.RS256 || alg == jose.RS384 || alg == jose.RS512:
			ok = rsa.VerifyPKCS1v15(k, hashOf(alg), digest(alg, in), t.sig) == nil
		}
	}
	if !ok {
		return ErrSignature
	}
	return nil
}

// ecAlg reports whether alg is ECDSA (RFC 7518 §3.4).
func ecAlg(alg jose.SignatureAlgorithm) bool {
	return alg == jose.ES256 || alg == jose.ES384 || alg == jose.ES512
}
