package authserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	jose "github.com/go-jose/go-jose/v4"
)

// signingAlgorithms are the JWS algorithms kunci signs and accepts access
// tokens with: asymmetric only, never "none" and never HMAC (RFC 8725 §3.1).
var signingAlgorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256}

// GenerateSigningKey returns a new private key for Config.SigningKeys, with
// its algorithm and a key ID (the RFC 7638 thumbprint) set. ES256 and EdDSA
// are recommended; RS256 uses a 2048-bit key. It is meant for development
// and tests: production keys should be created once, kept secret and loaded
// at start, so that tokens outlive a restart.
func GenerateSigningKey(alg jose.SignatureAlgorithm) (jose.JSONWebKey, error) {
	var key crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.EdDSA:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case jose.RS256, jose.PS256:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return jose.JSONWebKey{}, fmt.Errorf("authserver: unsupported signing algorithm %q", alg)
	}
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("authserver: generating key: %w", err)
	}
	jwk := jose.JSONWebKey{Key: key, Algorithm: string(alg), Use: "sig"}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("authserver: key thumbprint: %w", err)
	}
	jwk.KeyID = b64.EncodeToString(tp)
	return jwk, nil
}

// keySet holds the server's signing keys: the active private key and the
// public halves of every configured key, indexed by key ID.
type keySet struct {
	signer jose.Signer
	active jose.JSONWebKey
	public map[string]jose.JSONWebKey
	jwks   []byte // the served JWK Set
}

// newKeySet validates Config.SigningKeys. The first key signs; every key is
// published, so that tokens signed by a retired key stay verifiable and a
// key can be published before it becomes the first.
func newKeySet(keys []jose.JSONWebKey) (*keySet, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	ks := &keySet{public: make(map[string]jose.JSONWebKey, len(keys))}
	var set jose.JSONWebKeySet
	for i, k := range keys {
		if !k.Valid() || k.IsPublic() {
			return nil, fmt.Errorf("SigningKeys[%d] must be a valid private key", i)
		}
		if !keyFitsAlgorithm(k) {
			return nil, fmt.Errorf("SigningKeys[%d]: algorithm %q is not one of %v or does not fit the key", i, k.Algorithm, signingAlgorithms)
		}
		if k.KeyID == "" {
			return nil, fmt.Errorf("SigningKeys[%d] has no key ID", i)
		}
		if _, dup := ks.public[k.KeyID]; dup {
			return nil, fmt.Errorf("SigningKeys[%d]: key ID %q is used twice", i, k.KeyID)
		}
		pub := k.Public()
		if !pub.Valid() {
			return nil, fmt.Errorf("SigningKeys[%d] has no public key", i)
		}
		pub.Use = "sig"
		ks.public[k.KeyID] = pub
		set.Keys = append(set.Keys, pub)
	}
	ks.active = keys[0]
	opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader(jose.HeaderKey("kid"), ks.active.KeyID)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(ks.active.Algorithm), Key: ks.active.Key}, opts)
	if err != nil {
		return nil, fmt.Errorf("SigningKeys[0]: %w", err)
	}
	ks.signer = signer
	jwks, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	ks.jwks = jwks
	return ks, nil
}

// keyFitsAlgorithm reports whether k's algorithm is allowed and matches its
// key type.
func keyFitsAlgorithm(k jose.JSONWebKey) bool {
	switch jose.SignatureAlgorithm(k.Algorithm) {
	case jose.ES256:
		key, ok := k.Key.(*ecdsa.PrivateKey)
		return ok && key.Curve == elliptic.P256()
	case jose.ES384:
		key, ok := k.Key.(*ecdsa.PrivateKey)
		return ok && key.Curve == elliptic.P384()
	case jose.EdDSA:
		_, ok := k.Key.(ed25519.PrivateKey)
		return ok
	case jose.RS256, jose.PS256:
		key, ok := k.Key.(*rsa.PrivateKey)
		return ok && key.N.BitLen() >= 2048
	}
	return false
}

// JWKSHandler returns the endpoint that publishes the public signing keys as
// a JWK Set (RFC 7517 §5). It never contains private key material.
// Without Config.SigningKeys the set is empty.
func (s *Server) JWKSHandler() http.Handler {
	if s.keys == nil {
		return staticDocument("application/jwk-set+json", []byte(`{"keys":[]}`))
	}
	return staticDocument("application/jwk-set+json", s.keys.jwks)
}

var errNoKeys = errors.New("no signing keys configured")
