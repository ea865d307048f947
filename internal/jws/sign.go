package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/internal/policy"
)

// b64 is the base64url encoding without padding of RFC 7515 §2.
var b64 = base64.RawURLEncoding

// Signer makes compact JWS with one private key. Its protected header
// ({"alg","kid","typ"}) is encoded once, by [NewSigner]. It is safe for
// concurrent use.
type Signer struct {
	alg    jose.SignatureAlgorithm
	key    any    // *ecdsa.PrivateKey, ed25519.PrivateKey or *rsa.PrivateKey
	prefix string // BASE64URL(UTF8(JWS Protected Header)) || '.'
	sigLen int    // the length of every signature
}

// protectedHeader is the JOSE header of RFC 7515 §4.1 a Signer writes; the
// member order is alg, kid, typ, as go-jose writes it.
type protectedHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	Typ string `json:"typ,omitempty"`
}

// NewSigner returns a signer for alg with key, an *ecdsa.PrivateKey,
// ed25519.PrivateKey or *rsa.PrivateKey that fits alg (policy.KeyFits). kid
// and typ, when not empty, go into the header (RFC 7515 §4.1.4, §4.1.9).
func NewSigner(alg jose.SignatureAlgorithm, key any, kid, typ string) (*Signer, error) {
	if !policy.Asymmetric(alg) || !policy.KeyFits(key, alg) {
		return nil, fmt.Errorf("jws: key does not fit algorithm %q", alg)
	}
	s := &Signer{alg: alg, key: key}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		s.sigLen = 2 * ((k.Curve.Params().BitSize + 7) / 8)
	case ed25519.PrivateKey:
		s.sigLen = ed25519.SignatureSize
	case *rsa.PrivateKey:
		s.sigLen = k.Size()
	default:
		return nil, fmt.Errorf("jws: %T is not a private key", key)
	}
	h, err := json.Marshal(protectedHeader{Alg: string(alg), Kid: kid, Typ: typ})
	if err != nil {
		return nil, fmt.Errorf("jws: encoding header: %w", err)
	}
	s.prefix = b64.EncodeToString(h) + "."
	return s, nil
}

// Algorithm returns the signer's algorithm.
func (s *Signer) Algorithm() jose.SignatureAlgorithm { return s.alg }

// Sign returns the compact serialization (RFC 7515 §7.1) of payload signed
// with the signer's key: the prepared header, payload and signature, each
// base64url-encoded. ES* signatures are R || S, each padded to the
// curve's size (RFC 7518 §3.4).
func (s *Signer) Sign(payload []byte) (string, error) {
	buf := make([]byte, 0, len(s.prefix)+b64.EncodedLen(len(payload))+1+b64.EncodedLen(s.sigLen))
	buf = append(buf, s.prefix...)
	buf = b64.AppendEncode(buf, payload)
	sig, err := s.signature(buf)
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}

// signature signs input, the JWS Signing Input of RFC 7515 §5.1.
func (s *Signer) signature(input []byte) ([]byte, error) {
	switch k := s.key.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(k, input), nil
	case *ecdsa.PrivateKey:
		r, ss, err := ecdsa.Sign(rand.Reader, k, digest(s.alg, input))
		if err != nil {
			return nil, fmt.Errorf("jws: signing: %w", err)
		}
		out := make([]byte, s.sigLen)
		r.FillBytes(out[:s.sigLen/2])
		ss.FillBytes(out[s.sigLen/2:])
		return out, nil
	case *rsa.PrivateKey:
		var sig []byte
		var err error
		if pss(s.alg) {
			sig, err = rsa.SignPSS(rand.Reader, k, hashOf(s.alg), digest(s.alg, input), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(nil, k, hashOf(s.alg), digest(s.alg, input))
		}
		if err != nil {
			return nil, fmt.Errorf("jws: signing: %w", err)
		}
		return sig, nil
	}
	return nil, errors.New("jws: no private key")
}

// hashOf is the hash function of alg (RFC 7518 §3.1); EdDSA has none.
func hashOf(alg jose.SignatureAlgorithm) crypto.Hash {
	switch alg {
	case jose.ES384, jose.RS384, jose.PS384:
		return crypto.SHA384
	case jose.ES512, jose.RS512, jose.PS512:
		return crypto.SHA512
	}
	return crypto.SHA256
}

// digest hashes input with the hash of alg.
func digest(alg jose.SignatureAlgorithm, input []byte) []byte {
	switch hashOf(alg) {
	case crypto.SHA384:
		d := sha512.Sum384(input)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(input)
		return d[:]
	}
	d := sha256.Sum256(input)
	return d[:]
}

// pss reports whether alg is RSASSA-PSS (RFC 7518 §3.5).
func pss(alg jose.SignatureAlgorithm) bool {
	return alg == jose.PS256 || alg == jose.PS384 || alg == jose.PS512
}
