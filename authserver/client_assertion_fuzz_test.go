package authserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// FuzzParseClientAssertion checks that parseClientAssertion and
// readAssertion never panic, accept only bounded single-signature JWS of
// an asymmetric algorithm, and that readAssertion's client is the
// assertion's sub and never empty.
func FuzzParseClientAssertion(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	if err != nil {
		f.Fatal(err)
	}
	valid, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: "c", Subject: "c", Audience: jwt.Audience{"https://as"}, ID: "j"}).Serialize()
	if err != nil {
		f.Fatal(err)
	}
	enc := base64.RawURLEncoding
	for _, seed := range []string{
		valid,
		valid + "x",
		strings.Replace(valid, ".", "..", 1),
		enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString([]byte(`{"sub":"c"}`)) + ".",
		enc.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." + enc.EncodeToString([]byte(`{"sub":"c"}`)) + ".c2ln",
		enc.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." + enc.EncodeToString([]byte(`{"sub":["a"]}`)) + ".c2ln",
		`{"payload":"e30","signatures":[]}`,
		"", ".", "..", "eyJ.x.y",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		a, err := parseClientAssertion(raw)
		if err == nil {
			if len(raw) > maxAssertionLen || len(a.token.Headers) != 1 {
				t.Fatalf("accepted %q", raw)
			}
			if alg := jose.SignatureAlgorithm(a.token.Headers[0].Algorithm); !slices.Contains(assertionAlgorithms(), alg) {
				t.Fatalf("accepted algorithm %q", alg)
			}
		}
		fm := form{params: []param{{"client_assertion_type", clientAssertionTypeJWT}, {"client_assertion", raw}}}
		creds, e := readAssertion(fm)
		if e == nil && (err != nil || creds.id == "" || creds.id != a.claims.Subject || creds.method != AuthMethodPrivateKeyJWT) {
			t.Fatalf("readAssertion(%q) = %+v with parse error %v", raw, creds, err)
		}
		if e != nil && e.Code != CodeInvalidClient {
			t.Fatalf("readAssertion(%q): %v", raw, e)
		}
	})
}
