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
	"slices"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/internal/jws"
	"github.com/kunci/kunci/internal/policy"
)

// GenerateSigningKey returns a new private key for Config.JWT.SigningKeys,
// with its algorithm and a key ID (the RFC 7638 thumbprint) set. alg is one
// of ES256, ES384, ES512, EdDSA, RS256 and PS256; ES256 and EdDSA are
// recommended, RS256 and PS256 use a 2048-bit key. It is meant for development
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
	case jose.ES512:
		key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
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
	// signer signs access tokens with the first key; its protected header
	// is encoded once, here, not per token.
	signer *jws.Signer
	active jose.JSONWebKey
	public map[string]jose.JSONWebKey
	jwks   []byte // the served JWK Set

	// idTokenSigners sign ID Tokens, one per algorithm of the keys: the
	// first key of each algorithm signs, as the first key signs access
	// tokens. idTokenAlgs lists the algorithms in the keys' order.
	idTokenSigners map[jose.SignatureAlgorithm]jose.Signer
	idTokenAlgs    []jose.SignatureAlgorithm
}

// newKeySet validates Config.JWT.SigningKeys. The first key signs; every key is
// published, so that tokens signed by a retired key stay verifiable and a
// key can be published before it becomes the first.
func newKeySet(keys []jose.JSONWebKey) (*keySet, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	ks := &keySet{public: make(map[string]jose.JSONWebKey, len(keys)), idTokenSigners: map[jose.SignatureAlgorithm]jose.Signer{}}
	var set jose.JSONWebKeySet
	for i, k := range keys {
		field := fmt.Sprintf("JWT.SigningKeys[%d]", i)
		alg := jose.SignatureAlgorithm(k.Algorithm)
		switch {
		case !k.Valid() || k.IsPublic():
			return nil, &FieldError{Field: field, Problem: "must be a valid private key"}
		case !slices.Contains(policy.SigningAlgorithms(), alg) || !policy.KeyFits(k.Key, alg):
			return nil, &FieldError{Field: field, Problem: fmt.Sprintf("algorithm %q is not one of %v or does not fit the key", k.Algorithm, policy.SigningAlgorithms())}
		case k.KeyID == "":
			return nil, &FieldError{Field: field, Problem: "has no key ID"}
		}
		if _, dup := ks.public[k.KeyID]; dup {
			return nil, &FieldError{Field: field, Problem: fmt.Sprintf("key ID %q is used twice", k.KeyID)}
		}
		pub := k.Public()
		if !pub.Valid() {
			return nil, &FieldError{Field: field, Problem: "has no public key"}
		}
		pub.Use = "sig"
		ks.public[k.KeyID] = pub
		set.Keys = append(set.Keys, pub)
		if _, ok := ks.idTokenSigners[alg]; !ok {
			signer, err := newIDTokenSigner(k)
			if err != nil {
				return nil, &FieldError{Field: field, Problem: err.Error()}
			}
			ks.idTokenSigners[alg] = signer
			ks.idTokenAlgs = append(ks.idTokenAlgs, alg)
		}
	}
	ks.active = keys[0]
	signer, err := jws.NewSigner(jose.SignatureAlgorithm(ks.active.Algorithm), ks.active.Key, ks.active.KeyID, "at+jwt")
	if err != nil {
		return nil, &FieldError{Field: "JWT.SigningKeys[0]", Problem: err.Error()}
	}
	ks.signer = signer
	jwks, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	ks.jwks = jwks
	return ks, nil
}

// JWKSHandler returns the endpoint that publishes the public signing keys as
// a JWK Set (RFC 7517 §5). It never contains private key material.
// Without Config.JWT.SigningKeys the set is empty.
func (s *Server) JWKSHandler() http.Handler {
	if s.keys == nil {
		return staticDocument("application/jwk-set+json", []byte(`{"keys":[]}`))
	}
	return staticDocument("application/jwk-set+json", s.keys.jwks)
}

var errNoKeys = errors.New("no signing keys configured")
