package jws_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/internal/jws"
	"github.com/kunci/kunci/internal/policy"
)

var b64 = base64.RawURLEncoding

const payload = `{"iss":"https://as.example","sub":"alice","scope":"read write","exp":1900000000}`

// fixedKey returns a key for alg that is the same in every process, so
// that a fuzz worker verifies the seeds its coordinator signed. RSA keys
// are generated: only the unit tests use them.
func fixedKey(t testing.TB, alg jose.SignatureAlgorithm) crypto.Signer {
	t.Helper()
	seed := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i + 1)
		}
		return b
	}
	var k crypto.Signer
	var err error
	switch alg {
	case jose.EdDSA:
		k = ed25519.NewKeyFromSeed(seed(ed25519.SeedSize))
	case jose.ES256:
		k, err = ecdsa.ParseRawPrivateKey(elliptic.P256(), seed(32))
	case jose.ES384:
		k, err = ecdsa.ParseRawPrivateKey(elliptic.P384(), seed(48))
	case jose.ES512:
		k, err = ecdsa.ParseRawPrivateKey(elliptic.P521(), seed(66))
	default:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	require.NoError(t, err)
	return k
}

// goJoseSign signs payload with go-jose, the independent implementation.
func goJoseSign(t testing.TB, alg jose.SignatureAlgorithm, key crypto.Signer, kid string) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", kid))
	require.NoError(t, err)
	obj, err := s.Sign([]byte(payload))
	require.NoError(t, err)
	tok, err := obj.CompactSerialize()
	require.NoError(t, err)
	return tok
}

// sigLen is the length of a signature of alg with the keys of fixedKey
// (RFC 7518 §3.3, §3.4; RFC 8037 §3.1).
func sigLen(alg jose.SignatureAlgorithm) int {
	switch alg {
	case jose.ES256, jose.EdDSA:
		return 64
	case jose.ES384:
		return 96
	case jose.ES512:
		return 132
	}
	return 256
}

// TestSignVerifiedByGoJose: for every algorithm of the policy, a token of
// Signer is one go-jose verifies with the same header and payload, and
// one Parse and Verify accept; its signature has the length RFC 7518
// fixes.
func TestSignVerifiedByGoJose(t *testing.T) {
	t.Parallel()
	for _, alg := range policy.SigningAlgorithms() {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			key := fixedKey(t, alg)
			s, err := jws.NewSigner(alg, key, "key-1", "at+jwt")
			require.NoError(t, err)
			assert.Equal(t, alg, s.Algorithm())
			tok, err := s.Sign([]byte(payload))
			require.NoError(t, err)

			obj, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{alg})
			require.NoError(t, err)
			got, err := obj.Verify(key.Public())
			require.NoError(t, err)
			assert.JSONEq(t, payload, string(got))
			h := obj.Signatures[0].Protected
			assert.Equal(t, string(alg), h.Algorithm)
			assert.Equal(t, "key-1", h.KeyID)
			assert.Equal(t, "at+jwt", h.ExtraHeaders[jose.HeaderType])

			parsed, err := jws.Parse(tok)
			require.NoError(t, err)
			assert.Equal(t, jws.Header{Alg: alg, Kid: "key-1", Typ: "at+jwt"}, parsed.Header)
			assert.Equal(t, payload, string(parsed.Payload))
			require.NoError(t, parsed.Verify(key.Public()))

			sig, err := b64.DecodeString(tok[strings.LastIndexByte(tok, '.')+1:])
			require.NoError(t, err)
			assert.Len(t, sig, sigLen(alg))
		})
	}
}

// TestGoJoseTokensVerify: a token go-jose signs is one Parse and Verify
// accept, with go-jose's header and the same payload.
func TestGoJoseTokensVerify(t *testing.T) {
	t.Parallel()
	for _, alg := range policy.SigningAlgorithms() {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			key := fixedKey(t, alg)
			parsed, err := jws.Parse(goJoseSign(t, alg, key, "k"))
			require.NoError(t, err)
			assert.Equal(t, jws.Header{Alg: alg, Kid: "k", Typ: "at+jwt"}, parsed.Header)
			assert.Equal(t, payload, string(parsed.Payload))
			assert.NoError(t, parsed.Verify(key.Public()))
		})
	}
}

// TestNewSignerRefusesKeysThatDoNotFit: HMAC and none are never signing
// algorithms here, and a key must fit its algorithm (policy.KeyFits).
func TestNewSignerRefusesKeysThatDoNotFit(t *testing.T) {
	t.Parallel()
	ec := fixedKey(t, jose.ES256)
	ed := fixedKey(t, jose.EdDSA)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		alg jose.SignatureAlgorithm
		key any
	}{
		"HS256 with a secret":          {jose.HS256, []byte("0123456789abcdef0123456789abcdef")},
		"none":                         {"none", ec},
		"ES384 with a P-256 key":       {jose.ES384, ec},
		"ES256 with an Ed25519 key":    {jose.ES256, ed},
		"EdDSA with a public key":      {jose.EdDSA, ed.Public()},
		"ES256 with a public key":      {jose.ES256, ec.Public()},
		"RS256 with a 1024-bit key":    {jose.RS256, small},
		"RS256 with an ECDSA key":      {jose.RS256, ec},
		"an unknown algorithm":         {"XS256", ec},
		"EdDSA with a truncated key":   {jose.EdDSA, ed.(ed25519.PrivateKey)[:32]},
		"ES256 with no key at all":     {jose.ES256, nil},
		"EdDSA with a key of ES256 ok": {jose.EdDSA, ec},
	} {
		_, err := jws.NewSigner(tc.alg, tc.key, "k", "at+jwt")
		assert.Error(t, err, name)
	}
}

// compact joins a header, payload and signature as RFC 7515 §7.1 does.
func compact(header, body string, sig []byte) string {
	return b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(body)) + "." + b64.EncodeToString(sig)
}

// TestParseRefusesWhatIsNotStrictCompactJWS: every departure from the
// package doc's rules is ErrMalformed, before any signature is checked.
func TestParseRefusesWhatIsNotStrictCompactJWS(t *testing.T) {
	t.Parallel()
	key := fixedKey(t, jose.ES256)
	s, err := jws.NewSigner(jose.ES256, key, "k", "at+jwt")
	require.NoError(t, err)
	good, err := s.Sign([]byte(payload))
	require.NoError(t, err)
	head, rest, _ := strings.Cut(good, ".")
	body, sig, _ := strings.Cut(rest, ".")
	raw := make([]byte, 64)
	for name, tok := range map[string]string{
		"empty":                         "",
		"one part":                      head,
		"two parts":                     head + "." + body,
		"four parts":                    good + "." + sig,
		"no header":                     "." + body + "." + sig,
		"no signature":                  head + "." + body + ".",
		"padding on the header":         head + "==." + body + "." + sig,
		"padding on the signature":      good + "=",
		"standard base64 characters":    head + "." + body + "." + strings.NewReplacer("-", "+", "_", "/").Replace(sig) + "+/",
		"a line feed in the header":     head[:4] + "\n" + head[4:] + "." + body + "." + sig,
		"a line feed in the payload":    head + "." + body[:4] + "\n" + body[4:] + "." + sig,
		"a line feed in the signature":  head + "." + body + "." + sig[:4] + "\n" + sig[4:],
		"a carriage return at the end":  good + "\r",
		"a CRLF in the signature":       head + "." + body + "." + sig[:10] + "\r\n" + sig[10:],
		"a space in the signature":      head + "." + body + "." + sig[:10] + " " + sig[10:],
		"non-zero bits after the last":  good[:len(good)-1] + string(good[len(good)-1]+1),
		"a header that is an array":     compact(`["ES256"]`, payload, raw),
		"a header that is not JSON":     compact(`{"alg":"ES256"`, payload, raw),
		"an empty header":               compact(``, payload, raw),
		"a header without alg":          compact(`{"kid":"k","typ":"at+jwt"}`, payload, raw),
		"alg spelled Alg":               compact(`{"Alg":"ES256"}`, payload, raw),
		"alg twice":                     compact(`{"alg":"ES256","alg":"EdDSA"}`, payload, raw),
		"a crit header":                 compact(`{"alg":"ES256","crit":["exp"],"exp":1}`, payload, raw),
		"an unencoded payload (b64)":    compact(`{"alg":"ES256","b64":false,"crit":["b64"]}`, payload, raw),
		"an empty b64 without crit":     compact(`{"alg":"ES256","b64":true}`, payload, raw),
		"whitespace before the header":  " " + good,
		"a header with a leading space": compact(` {"alg":"ES256"}`, payload, raw),
	} {
		_, err := jws.Parse(tok)
		assert.ErrorIs(t, err, jws.ErrMalformed, name)
	}
	_, err = jws.Parse(good)
	assert.NoError(t, err)
}

// TestVerifyRefusesWrongKeysAndSignatures: a signature verifies only with
// the public key of its signer, for the header's algorithm, over the exact
// signing input, and an ES* signature only as R || S of its fixed size.
func TestVerifyRefusesWrongKeysAndSignatures(t *testing.T) {
	t.Parallel()
	ec := fixedKey(t, jose.ES256).(*ecdsa.PrivateKey)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ed := fixedKey(t, jose.EdDSA)
	s, err := jws.NewSigner(jose.ES256, ec, "k", "at+jwt")
	require.NoError(t, err)
	good, err := s.Sign([]byte(payload))
	require.NoError(t, err)
	i := strings.LastIndexByte(good, '.')
	sig, err := b64.DecodeString(good[i+1:])
	require.NoError(t, err)

	verify := func(tok string, key any) error {
		t.Helper()
		parsed, err := jws.Parse(tok)
		require.NoError(t, err)
		return parsed.Verify(key)
	}
	require.NoError(t, verify(good, &ec.PublicKey))

	der, err := ecdsa.SignASN1(rand.Reader, ec, []byte("not the input"))
	require.NoError(t, err)
	head, rest, _ := strings.Cut(good, ".")
	body, _, _ := strings.Cut(rest, ".")
	changed := b64.EncodeToString([]byte(strings.Replace(payload, "read write", "read admin", 1)))
	for name, tc := range map[string]struct {
		tok string
		key any
	}{
		"another key of the curve":      {good, &other.PublicKey},
		"the private key":               {good, ec},
		"an Ed25519 key":                {good, ed.Public()},
		"a changed payload":             {head + "." + changed + good[i:], &ec.PublicKey},
		"a signature one byte short":    {good[:i+1] + b64.EncodeToString(sig[:63]), &ec.PublicKey},
		"a signature one byte long":     {good[:i+1] + b64.EncodeToString(append(sig[:64:64], 0)), &ec.PublicKey},
		"an ASN.1 signature":            {good[:i+1] + b64.EncodeToString(der), &ec.PublicKey},
		"R and S swapped":               {good[:i+1] + b64.EncodeToString(append(append([]byte{}, sig[32:]...), sig[:32]...)), &ec.PublicKey},
		"a zero signature":              {good[:i+1] + b64.EncodeToString(make([]byte, 64)), &ec.PublicKey},
		"the header's alg is EdDSA":     {compact(`{"alg":"EdDSA","kid":"k","typ":"at+jwt"}`, payload, sig), &ec.PublicKey},
		"an HMAC alg with the EC key":   {compact(`{"alg":"HS256"}`, payload, sig), &ec.PublicKey},
		"alg none with the EC key":      {compact(`{"alg":"none"}`, payload, sig), &ec.PublicKey},
		"no key":                        {good, nil},
		"the payload of another header": {b64.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." + body + good[i:], &ec.PublicKey},
	} {
		assert.ErrorIs(t, verify(tc.tok, tc.key), jws.ErrSignature, name)
	}
}

// FuzzParseAgreesWithGoJose: every token Parse accepts is spelled one way
// only, canonical base64url in three parts, and every token Parse and
// Verify accept with the key of its header's algorithm is one go-jose
// accepts too, with the same payload and algorithm. The seeds are valid
// tokens of Signer and of go-jose, which the fuzzer changes, and tokens
// with a line break in the signature.
func FuzzParseAgreesWithGoJose(f *testing.F) {
	algs := []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA}
	keys := map[jose.SignatureAlgorithm]crypto.Signer{}
	for _, alg := range algs {
		keys[alg] = fixedKey(f, alg)
		s, err := jws.NewSigner(alg, keys[alg], "k", "at+jwt")
		require.NoError(f, err)
		tok, err := s.Sign([]byte(payload))
		require.NoError(f, err)
		f.Add(tok)
		// A line break in the signature, which a lenient decoder skips.
		i := strings.LastIndexByte(tok, '.')
		f.Add(tok[:i+5] + "\n" + tok[i+5:])
	}
	// EdDSA is deterministic, so a token of go-jose's is the same in every
	// process.
	f.Add(goJoseSign(f, jose.EdDSA, keys[jose.EdDSA], "k"))
	f.Fuzz(func(t *testing.T, token string) {
		parsed, err := jws.Parse(token)
		if err != nil {
			return
		}
		// What Parse accepts has one spelling: base64url characters and
		// two dots, each part the encoding of what it decodes to.
		for _, part := range strings.Split(token, ".") {
			raw, err := b64.DecodeString(part)
			if err != nil || b64.EncodeToString(raw) != part {
				t.Fatalf("accepted a part %q that is not canonical base64url", part)
			}
		}
		key, ok := keys[parsed.Header.Alg]
		if !ok || parsed.Verify(key.Public()) != nil {
			return
		}
		obj, err := jose.ParseSigned(token, algs)
		if err != nil {
			t.Fatalf("go-jose refuses a token jws accepts: %v", err)
		}
		got, err := obj.Verify(key.Public())
		if err != nil {
			t.Fatalf("go-jose does not verify a token jws verifies: %v", err)
		}
		if string(got) != string(parsed.Payload) {
			t.Fatalf("payloads differ: go-jose %q, jws %q", got, parsed.Payload)
		}
		if a := obj.Signatures[0].Protected.Algorithm; a != string(parsed.Header.Alg) {
			t.Fatalf("algorithms differ: go-jose %q, jws %q", a, parsed.Header.Alg)
		}
	})
}
