package dpop_test

import (
	"context"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/internal/dpop"
	"github.com/kunci/kunci/internal/dpop/dpoptest"
)

// acceptAll is a replay store that takes every key, so that one proof can
// be verified over and over: the benchmark measures the verification, not
// the store.
type acceptAll struct{}

func (acceptAll) UseOnce(context.Context, string, time.Time) error { return nil }

// BenchmarkVerify measures one proof verification per algorithm: parse,
// signature, claims, thumbprint.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256, jose.PS256} {
		b.Run(string(alg), func(b *testing.B) {
			v, err := dpop.New(dpop.Config{Replay: acceptAll{}})
			if err != nil {
				b.Fatal(err)
			}
			k := dpoptest.NewKey(b, alg)
			proof := k.Proof(b, dpoptest.Claims{HTM: "GET", HTU: "https://api.example.com/me", ATH: dpoptest.ATH("tok"), IAT: time.Now().Unix()})
			req := dpop.Request{Method: "GET", URL: "https://api.example.com/me", AccessToken: "tok"}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, proof, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
