package authserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/internal/dpop/dpoptest"
	"github.com/kunci/kunci/store"
)

// replayBlind is the memory store with a UseOnce that takes every key, so
// that a benchmark can send one proof over and over.
type replayBlind struct{ *store.Memory }

func (replayBlind) UseOnce(context.Context, string, time.Time) error { return nil }

// BenchmarkTokenDPoP measures a client_credentials token request with a
// DPoP proof, per algorithm, beside the same request without one
// ("bearer"), on one server with backgroundTokens other tokens.
func BenchmarkTokenDPoP(b *testing.B) {
	st := replayBlind{store.NewMemoryWithCleanup(0)}
	srv, err := authserver.New(authserver.Config{Issuer: testIssuer, Scopes: testScopes, DPoP: authserver.DPoP{Enabled: true}}, st)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := srv.RegisterClient(ctx, authserver.Client{ID: serviceID, Secret: servicePass, Name: "Service",
		GrantTypes: grants("client_credentials"), Scopes: []string{"basic_info", "keys_op"}}); err != nil {
		b.Fatal(err)
	}
	for range backgroundTokens {
		if _, err := srv.IssueToken(ctx, authserver.TokenRequest{ClientID: serviceID, Scopes: []string{"basic_info"}}); err != nil {
			b.Fatal(err)
		}
	}
	authz := basic(serviceID, servicePass)
	for _, alg := range []jose.SignatureAlgorithm{"bearer", jose.ES256, jose.EdDSA, jose.RS256, jose.PS256} {
		b.Run(string(alg), func(b *testing.B) {
			var proof string
			if alg != "bearer" {
				// Proofs are valid for a minute; b.Loop runs about a second.
				proof = dpoptest.NewKey(b, alg).Proof(b, dpoptest.Claims{HTM: http.MethodPost, HTU: tokenHTU})
			}
			b.ReportAllocs()
			for b.Loop() {
				req := tokenRequest(benchBody, authz)
				if proof != "" {
					req.Header.Set("DPoP", proof)
				}
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}
