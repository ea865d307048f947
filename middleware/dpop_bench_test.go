package middleware

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/internal/dpop/dpoptest"
)

// acceptAll is a replay store that takes every key, so that one proof can
// be sent over and over.
type acceptAll struct{}

func (acceptAll) UseOnce(context.Context, string, time.Time) error { return nil }

// BenchmarkDPoP measures Authenticate with DPoP on, a VerifierFunc doing a
// map lookup: "bearer" is a bearer token through the same middleware, the
// others a DPoP-bound token with a proof per algorithm. BenchmarkPlainHandler
// is the floor.
func BenchmarkDPoP(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{"bearer", jose.ES256, jose.EdDSA, jose.RS256, jose.PS256} {
		b.Run(string(alg), func(b *testing.B) {
			info := TokenInfo{Subject: "alice", ClientID: "app", Scopes: []string{"read"}}
			var proof string
			if alg != "bearer" {
				k := dpoptest.NewKey(b, alg)
				info.JKT = k.JKT(b)
				proof = k.Proof(b, dpoptest.Claims{HTM: http.MethodGet, HTU: "https://api.example.com/me", ATH: dpoptest.ATH(benchToken)})
			}
			v := VerifierFunc(func(_ context.Context, token string) (TokenInfo, error) {
				if token != benchToken {
					return TokenInfo{}, ErrInvalidToken
				}
				return info, nil
			})
			auth := mustAuthenticate(b, v, Options{DPoP: &DPoPOptions{ExternalURL: "https://api.example.com", Replay: acceptAll{}}})
			req := httptest.NewRequestWithContext(b.Context(), http.MethodGet, "/me", nil)
			if proof == "" {
				req.Header.Set("Authorization", "Bearer "+benchToken)
			} else {
				req.Header.Set("Authorization", "DPoP "+benchToken)
				req.Header.Set("DPoP", proof)
			}
			serveLoop(b, auth(benchOK), req)
		})
	}
}
