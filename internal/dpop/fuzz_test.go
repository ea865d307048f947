package dpop_test

import (
	"errors"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/internal/dpop"
	"github.com/kunci/kunci/internal/dpop/dpoptest"
	"github.com/kunci/kunci/store"
)

// FuzzVerify feeds arbitrary proofs to a Verifier: it must never panic,
// and must refuse anything it does not accept with an *Error, never
// another error (the store here does not fail).
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	k := dpoptest.NewKey(f, jose.ES256)
	good := dpoptest.Claims{HTM: "POST", HTU: tokenURL, IAT: now.Unix()}
	f.Add(k.Proof(f, good))
	f.Add(dpoptest.Unsigned(f, k, good))
	f.Add(dpoptest.HMAC(f, k, []byte("0123456789abcdef0123456789abcdef"), good))
	f.Add(k.ProofWith(f, good, map[jose.HeaderKey]any{jose.HeaderType: "dpop+jwt", "jwk": map[string]any{"kty": "oct", "k": "AAAA"}}))
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCJ9..")
	f.Add("")
	st := store.NewMemoryWithCleanup(0)
	v, err := dpop.New(dpop.Config{Replay: st, Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, proof string) {
		p, err := v.Verify(t.Context(), proof, dpop.Request{Method: "POST", URL: tokenURL})
		var e *dpop.Error
		switch {
		case err == nil:
			if !dpop.IsThumbprint(p.JKT) {
				t.Fatalf("accepted a proof with thumbprint %q", p.JKT)
			}
		case !errors.As(err, &e):
			t.Fatalf("not a refusal: %v", err)
		case e.Code != dpop.CodeInvalidProof:
			t.Fatalf("code %q", e.Code)
		}
	})
}

// FuzzSameURI checks that htu comparison is symmetric and that a URI that
// matches anything matches itself.
func FuzzSameURI(f *testing.F) {
	for _, s := range [][2]string{
		{"https://as.example.com/oauth/token", "HTTPS://AS.example.com:443/oauth/token?x"},
		{"http://[::1]:80/", "http://[::1]"},
		{"https://a/%2F", "https://a//"},
		{"https://user@a/", "https://a/"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := dpop.SameURI(a, b), dpop.SameURI(b, a)
		if ab != ba {
			t.Fatalf("SameURI(%q, %q) = %v but the reverse is %v", a, b, ab, ba)
		}
		if ab && !dpop.SameURI(a, a) {
			t.Fatalf("%q matches %q but not itself", a, b)
		}
	})
}
