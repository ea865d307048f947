package authserver_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"
)

// clientAssertionType is the client_assertion_type of RFC 7523 §2.2.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// clientKey is a private_key_jwt client's key pair, made with the
// standard library and go-jose alone, as a client would.
type clientKey struct {
	priv crypto.Signer
	kid  string
	alg  jose.SignatureAlgorithm
}

func newClientKey(t *testing.T, kid string) clientKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return clientKey{priv: k, kid: kid, alg: jose.ES256}
}

// jwks is the public JWK Set of keys, as the client registers it.
func jwks(t *testing.T, keys ...clientKey) []byte {
	t.Helper()
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Use: "sig", Algorithm: string(k.alg)})
	}
	raw, err := json.Marshal(set)
	require.NoError(t, err)
	return raw
}

// assertionClaims are the claims of a valid assertion of client for the
// test issuer, with a fresh jti.
func assertionClaims(client string) jwt.Claims {
	now := time.Now()
	return jwt.Claims{
		Issuer: client, Subject: client, Audience: jwt.Audience{testIssuer},
		Expiry: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now),
		ID: rand.Text(),
	}
}

// sign makes a compact JWS of claims with k, its kid in the header.
func (k clientKey) sign(t *testing.T, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if k.kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), k.kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv}, opts)
	require.NoError(t, err)
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	require.NoError(t, err)
	return raw
}

// withAssertion adds a client assertion to form.
func withAssertion(form url.Values, assertion string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	out.Set("client_assertion_type", clientAssertionType)
	out.Set("client_assertion", assertion)
	return out
}

// jwtPayload is the JSON payload of claims.
func jwtPayload(claims jwt.Claims) ([]byte, error) { return json.Marshal(claims) }
