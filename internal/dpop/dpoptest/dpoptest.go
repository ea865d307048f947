// Package dpoptest makes DPoP proofs (RFC 9449 §4.2) for tests, the way a
// client would, with go-jose alone: it shares no code with the verifier in
// package dpop, so a test cannot pass because both sides share a mistake.
package dpoptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Key is a client's DPoP key pair.
type Key struct {
	Alg     jose.SignatureAlgorithm
	Private crypto.Signer
	// JWK is the public key as the proof's jwk header carries it.
	JWK jose.JSONWebKey
}

// NewKey returns a fresh key for alg: ES256, ES384, ES512, EdDSA, RS256 or
// PS256 (2048-bit RSA).
func NewKey(t testing.TB, alg jose.SignatureAlgorithm) Key {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.ES512:
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case jose.RS256, jose.PS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("dpoptest: no key for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return Key{Alg: alg, Private: priv, JWK: jose.JSONWebKey{Key: priv.Public(), Algorithm: string(alg)}}
}

// JKT returns the key's RFC 7638 SHA-256 thumbprint, base64url.
func (k Key) JKT(t testing.TB) string {
	t.Helper()
	tp, err := k.JWK.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// Claims are a proof's claims; zero fields are left out, except that Proof
// fills in a random JTI and IAT now when they are empty.
type Claims struct {
	JTI   string `json:"jti,omitempty"`
	HTM   string `json:"htm,omitempty"`
	HTU   string `json:"htu,omitempty"`
	IAT   int64  `json:"iat,omitempty"`
	ATH   string `json:"ath,omitempty"`
	Nonce string `json:"nonce,omitempty"`
}

// Proof returns a compact proof signed by k, with typ dpop+jwt and k's
// public key in the jwk header.
func (k Key) Proof(t testing.TB, c Claims) string {
	t.Helper()
	return k.ProofWith(t, c, map[jose.HeaderKey]any{jose.HeaderType: "dpop+jwt", "jwk": k.JWK})
}

// ProofWith is Proof with the given protected header fields instead of
// typ and jwk.
func (k Key) ProofWith(t testing.TB, c Claims, headers map[jose.HeaderKey]any) string {
	t.Helper()
	if c.JTI == "" {
		var b [12]byte
		rand.Read(b[:])
		c.JTI = base64.RawURLEncoding.EncodeToString(b[:])
	}
	if c.IAT == 0 {
		c.IAT = time.Now().Unix()
	}
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	opts := &jose.SignerOptions{ExtraHeaders: headers}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: k.Private}, opts)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sig.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ATH is the ath claim for accessToken (RFC 9449 §4.2).
func ATH(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Unsigned returns a proof with alg "none" and no signature.
func Unsigned(t testing.TB, k Key, c Claims) string {
	t.Helper()
	h, err := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": "none", "jwk": k.JWK})
	if err != nil {
		t.Fatal(err)
	}
	if c.JTI == "" {
		c.JTI = "unsigned"
	}
	p, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(p) + "."
}

// HMAC returns a proof signed with HS256 under secret, with k's public key
// in the jwk header.
func HMAC(t testing.TB, k Key, secret []byte, c Claims) string {
	t.Helper()
	if c.JTI == "" {
		c.JTI = "hmac"
	}
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret},
		&jose.SignerOptions{ExtraHeaders: map[jose.HeaderKey]any{jose.HeaderType: "dpop+jwt", "jwk": k.JWK}})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sig.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
