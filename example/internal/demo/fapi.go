package demo

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/kunci/kunci/authserver"
)

// FAPIClientID is the client_id of the demo's FAPI-style client: it
// authenticates with private_key_jwt (RFC 7523 §2.2) and must push its
// authorization requests (RFC 9126 §6).
const FAPIClientID = "fapi-client"

// ClientAssertionType is the client_assertion_type of a JWT client
// assertion (RFC 7523 §2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// fapiSector is the sector identifier of the FAPI-style client's pairwise
// subjects (OpenID Connect Core §8.1).
const fapiSector = "fapi.demo.example"

// assertionLifetime is how long a client assertion made by
// [ClientAssertion] is valid: long enough to paste a curl line, well under
// the five minutes the server accepts.
const assertionLifetime = 2 * time.Minute

// maxKeyFile bounds the size of a client key file.
const maxKeyFile = 64 << 10

// NewClientKey returns a fresh ES256 private key for a private_key_jwt
// client (RFC 7518 §3.4), its key ID the RFC 7638 thumbprint. It is a
// demo key: the app draws one per run and keeps it only in a temporary
// file (see [WriteClientKey]).
func NewClientKey() (jose.JSONWebKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("demo: client key: %w", err)
	}
	key := jose.JSONWebKey{Key: priv, Algorithm: string(jose.ES256), Use: "sig"}
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("demo: client key: %w", err)
	}
	key.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return key, nil
}

// FAPIClient returns the demo's FAPI-style client for a server at issuer
// (FAPI 2.0 Security Profile §5.3.2.1 and §5.3.2.2 in part): a
// confidential OpenID Connect client that authenticates with
// private_key_jwt against the public half of key, given inline as jwks
// with token_endpoint_auth_signing_alg ES256, that must use pushed
// authorization requests, gets pairwise subjects (OpenID Connect Core
// §8.1) for the sector fapi.demo.example (its loopback redirect URI names
// no sector of its own), may be signed out to /signed-out and gets only
// DPoP-bound access tokens (RFC 9449 §5.2).
func FAPIClient(issuer string, key jose.JSONWebKey) (ClientSpec, error) {
	if key.IsPublic() || !key.Valid() {
		return ClientSpec{}, errors.New("demo: FAPI client: the key must be a valid private key")
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key.Public()}})
	if err != nil {
		return ClientSpec{}, fmt.Errorf("demo: FAPI client: %w", err)
	}
	base := strings.TrimSuffix(issuer, "/")
	return ClientSpec{
		ClientID:                           FAPIClientID,
		ClientName:                         "FAPI Demo Client",
		RedirectURIs:                       []string{base + "/callback"},
		GrantTypes:                         []string{"authorization_code"},
		ResponseTypes:                      []string{"code"},
		Scope:                              "openid basic_info",
		TokenEndpointAuthMethod:            string(authserver.AuthMethodPrivateKeyJWT),
		JWKS:                               jwks,
		TokenEndpointAuthSigningAlg:        string(jose.ES256),
		RequirePushedAuthorizationRequests: true,
		SubjectType:                        string(authserver.SubjectPairwise),
		SectorIdentifier:                   fapiSector,
		PostLogoutRedirectURIs:             []string{base + "/signed-out"},
		DPoPBoundAccessTokens:              true,
	}, nil
}

// ClientAssertion returns a client assertion (RFC 7523 §2.2, §3; OpenID
// Connect Core §9) that authenticates clientID to the server whose issuer
// identifier is audience: a JWT signed with key whose iss and sub are
// clientID, aud the issuer, a random jti, iat now and exp two minutes
// later. Each one is good for one request: the server refuses a jti it
// has seen.
func ClientAssertion(key jose.JSONWebKey, clientID, audience string, now time.Time) (string, error) {
	if key.IsPublic() || !key.Valid() {
		return "", errors.New("demo: client assertion: the key must be a valid private key")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.Algorithm), Key: key},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("demo: client assertion: %w", err)
	}
	claims := jwt.Claims{
		Issuer:   clientID,
		Subject:  clientID,
		Audience: jwt.Audience{audience},
		ID:       rand.Text(),
		IssuedAt: jwt.NewNumericDate(now),
		Expiry:   jwt.NewNumericDate(now.Add(assertionLifetime)),
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("demo: client assertion: %w", err)
	}
	return s, nil
}

// WriteClientKey writes key, private half included, as a JWK (RFC 7517 §4)
// to w, for [ReadClientKey].
func WriteClientKey(w io.Writer, key jose.JSONWebKey) error {
	b, err := json.Marshal(key)
	if err != nil {
		return fmt.Errorf("demo: client key: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("demo: client key: %w", err)
	}
	return nil
}

// ReadClientKey reads the private JWK that [WriteClientKey] wrote to path.
// It refuses a public key, an algorithm-less key and files over 64 KiB.
func ReadClientKey(path string) (jose.JSONWebKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("demo: client key: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("demo: client key: %w", err)
	}
	if len(b) > maxKeyFile {
		return jose.JSONWebKey{}, fmt.Errorf("demo: client key: %s is larger than 64 KiB", path)
	}
	var key jose.JSONWebKey
	if err := key.UnmarshalJSON(b); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("demo: client key: %s: %w", path, err)
	}
	if key.IsPublic() || !key.Valid() {
		return jose.JSONWebKey{}, fmt.Errorf("demo: client key: %s holds no private key", path)
	}
	if key.Algorithm == "" {
		return jose.JSONWebKey{}, fmt.Errorf("demo: client key: %s names no alg", path)
	}
	return key, nil
}
