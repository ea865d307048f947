package authserver_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// BenchmarkSignOnly is the signature part of BenchmarkTokenJWT's bound: one
// signature, with the standard library alone, over a signing input as long as
// that of a token BenchmarkTokenJWT issues. The issue 18 goal is
// TokenJWT/<alg> within 1.2x of FloorTokenHandler + SignOnly/<alg>.
func BenchmarkSignOnly(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256} {
		b.Run(string(alg), func(b *testing.B) {
			key, err := authserver.GenerateSigningKey(alg)
			if err != nil {
				b.Fatal(err)
			}
			input := []byte(benchSigningInput(b, key))
			b.ReportAllocs()
			for b.Loop() {
				switch k := key.Key.(type) {
				case ed25519.PrivateKey:
					_ = ed25519.Sign(k, input)
				case *ecdsa.PrivateKey:
					d := sha256.Sum256(input)
					if _, err := ecdsa.SignASN1(rand.Reader, k, d[:]); err != nil {
						b.Fatal(err)
					}
				case *rsa.PrivateKey:
					d := sha256.Sum256(input)
					if _, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, d[:]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// benchSigningInput issues one JWT access token with key, as
// BenchmarkTokenJWT does, and returns its JWS Signing Input.
func benchSigningInput(b *testing.B, key jose.JSONWebKey) string {
	b.Helper()
	srv, err := authserver.New(authserver.Config{Issuer: testIssuer, Scopes: testScopes,
		JWT: authserver.JWT{SigningKeys: []jose.JSONWebKey{key}}}, store.NewMemoryWithCleanup(0))
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.RegisterClient(context.Background(), authserver.Client{ID: serviceID, Secret: servicePass,
		GrantTypes: grants("client_credentials"), Scopes: []string{"basic_info"}, AccessTokenFormat: "jwt"}); err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, tokenRequest(benchBody, basic(serviceID, servicePass)))
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	body := rec.Body.String()
	const field = `"access_token":"`
	i := strings.Index(body, field)
	if i < 0 {
		b.Fatalf("no access_token in %s", body)
	}
	token, _, _ := strings.Cut(body[i+len(field):], `"`)
	return token[:strings.LastIndexByte(token, '.')]
}
