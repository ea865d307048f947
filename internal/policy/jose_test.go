package policy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSigningAlgorithms(t *testing.T) {
	t.Parallel()
	algs := SigningAlgorithms()
	assert.Equal(t, []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.RS256, jose.PS256}, algs)
	assert.Contains(t, algs, jose.RS256, "RFC 9068 §2.1 requires RS256")
	for _, a := range algs {
		assert.True(t, Asymmetric(a), a)
	}
	algs[0] = jose.HS256
	assert.Equal(t, jose.ES256, SigningAlgorithms()[0], "each call returns a new slice")
}

func TestAsymmetric(t *testing.T) {
	t.Parallel()
	for _, a := range []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512, jose.EdDSA} {
		assert.True(t, Asymmetric(a), a)
	}
	for _, a := range []jose.SignatureAlgorithm{"none", "None", jose.HS256, jose.HS384, jose.HS512, "", "es256", "Ed25519", "RS1"} {
		assert.False(t, Asymmetric(a), a)
	}
}

// keys holds one private key of each kind the tests need.
type keys struct {
	p256, p384, p521 *ecdsa.PrivateKey
	ed               ed25519.PrivateKey
	rsa              *rsa.PrivateKey
}

func newKeys(t *testing.T) keys {
	t.Helper()
	var k keys
	var err error
	k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	k.p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return k
}

// rsaOfBits is an RSA public key whose modulus has exactly bits bits; only
// its size matters to KeyFits.
func rsaOfBits(bits int) *rsa.PublicKey {
	return &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), uint(bits-1)), E: 65537}
}

func TestKeyFits(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	rsaAlgs := []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512}
	cases := []struct {
		name string
		key  any
		fits []jose.SignatureAlgorithm // every other algorithm must not fit
	}{
		{"P-256 private key", k.p256, []jose.SignatureAlgorithm{jose.ES256}},
		{"P-256 public key", &k.p256.PublicKey, []jose.SignatureAlgorithm{jose.ES256}},
		{"P-384 private key", k.p384, []jose.SignatureAlgorithm{jose.ES384}},
		{"P-384 public key", &k.p384.PublicKey, []jose.SignatureAlgorithm{jose.ES384}},
		{"P-521 private key", k.p521, []jose.SignatureAlgorithm{jose.ES512}},
		{"P-521 public key", &k.p521.PublicKey, []jose.SignatureAlgorithm{jose.ES512}},
		{"Ed25519 private key", k.ed, []jose.SignatureAlgorithm{jose.EdDSA}},
		{"Ed25519 public key", k.ed.Public(), []jose.SignatureAlgorithm{jose.EdDSA}},
		{"RSA 2048 private key", k.rsa, rsaAlgs},
		{"RSA 2048 public key", &k.rsa.PublicKey, rsaAlgs},
		{"RSA public key of exactly 2048 bits", rsaOfBits(2048), rsaAlgs},
		{"RSA public key of 2047 bits", rsaOfBits(2047), nil},
		{"RSA key without a modulus", &rsa.PublicKey{E: 65537}, nil},
		{"Ed25519 public key of the wrong length", ed25519.PublicKey(make([]byte, 31)), nil},
		{"Ed25519 private key of the wrong length", ed25519.PrivateKey(make([]byte, 32)), nil},
		{"ECDSA key without a curve", &ecdsa.PublicKey{}, nil},
		{"nil RSA private key", (*rsa.PrivateKey)(nil), nil},
		{"nil RSA public key", (*rsa.PublicKey)(nil), nil},
		{"nil ECDSA private key", (*ecdsa.PrivateKey)(nil), nil},
		{"nil ECDSA public key", (*ecdsa.PublicKey)(nil), nil},
		{"HMAC secret", []byte("0123456789abcdef0123456789abcdef"), nil},
		{"a JSON Web Key wrapping a key", jose.JSONWebKey{Key: k.p256}, nil},
		{"RSA public key by value", k.rsa.PublicKey, nil},
		{"nil", nil, nil},
	}
	all := append(append([]jose.SignatureAlgorithm{}, rsaAlgs...), jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
		jose.HS256, jose.HS384, jose.HS512, "none", "")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, alg := range all {
				want := false
				for _, f := range tc.fits {
					want = want || f == alg
				}
				assert.Equal(t, want, KeyFits(tc.key, alg), alg)
			}
		})
	}
}

// TestSigningAlgorithmsSignAndVerify signs with each algorithm of
// SigningAlgorithms using a key KeyFits accepts, and verifies with the public
// half, which KeyFits must accept too.
func TestSigningAlgorithmsSignAndVerify(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	private := map[jose.SignatureAlgorithm]crypto.Signer{
		jose.ES256: k.p256, jose.ES384: k.p384, jose.ES512: k.p521, jose.EdDSA: k.ed, jose.RS256: k.rsa, jose.PS256: k.rsa,
	}
	for _, alg := range SigningAlgorithms() {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			key, ok := private[alg]
			require.True(t, ok, "a test key for every signing algorithm")
			require.True(t, KeyFits(key, alg))
			require.True(t, KeyFits(key.Public(), alg))
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, nil)
			require.NoError(t, err)
			jws, err := signer.Sign([]byte("payload"))
			require.NoError(t, err)
			compact, err := jws.CompactSerialize()
			require.NoError(t, err)
			parsed, err := jose.ParseSignedCompact(compact, SigningAlgorithms())
			require.NoError(t, err)
			payload, err := parsed.Verify(key.Public())
			require.NoError(t, err)
			assert.Equal(t, "payload", string(payload))
		})
	}
}
