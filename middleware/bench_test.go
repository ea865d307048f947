package middleware

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const benchToken = "mF_9.B5f-4.1JqM-2YpA7kQ"

// benchOK is the protected handler in every benchmark.
var benchOK = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write([]byte("ok"))
})

// serveLoop sends req through h once per iteration with a fresh recorder.
func serveLoop(b *testing.B, h http.Handler, req *http.Request) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func benchRequest(b *testing.B, token string) *http.Request {
	req := httptest.NewRequestWithContext(b.Context(), http.MethodGet, "/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// BenchmarkPlainHandler is the floor: a handler that checks the
// Authorization header against a constant itself.
func BenchmarkPlainHandler(b *testing.B) {
	serveLoop(b, plainHandler(benchToken), benchRequest(b, benchToken))
}

// plainHandler is the floors' handler: it checks the Authorization header
// against "Bearer " + token itself and answers as benchOK.
func plainHandler(token string) http.Handler {
	want := "Bearer " + token
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != want {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		benchOK(w, r)
	})
}

// BenchmarkPlainHandlerJWT is the floor of BenchmarkJWT: the plain handler
// of BenchmarkPlainHandler given the same request as BenchmarkJWT, a JWT
// access token of the same algorithm and claims, and comparing its whole
// Authorization header with a constant.
func BenchmarkPlainHandlerJWT(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256} {
		b.Run(string(alg), func(b *testing.B) {
			tok := sign(b, testSigningKeys()[alg], "at+jwt", testClaims(time.Now()))
			serveLoop(b, plainHandler(tok), benchRequest(b, tok))
		})
	}
}

// BenchmarkAuthenticateRequireScope sends a request through Authenticate and
// RequireScope with a VerifierFunc that does a map lookup.
func BenchmarkAuthenticateRequireScope(b *testing.B) {
	tokens := map[string]TokenInfo{
		benchToken: {Subject: "alice", ClientID: "app", Scopes: []string{"basic_info", "read"}},
	}
	v := VerifierFunc(func(_ context.Context, token string) (TokenInfo, error) {
		info, ok := tokens[token]
		if !ok {
			return TokenInfo{}, ErrInvalidToken
		}
		return info, nil
	})
	h := protect(b, v, benchOK, "read")
	serveLoop(b, h, benchRequest(b, benchToken))
}

// BenchmarkJWT measures JWT access tokens through Authenticate and
// RequireScope: "first" verifies the signature on every request (the cache
// is off), "repeat" is answered from the verified-token cache.
func BenchmarkJWT(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256} {
		for _, mode := range []string{"first", "repeat"} {
			b.Run(mode+"/"+string(alg), func(b *testing.B) {
				cfg := JWTConfig{Now: time.Now}
				if mode == "first" {
					cfg.CacheTTL = -1
				}
				f := newJWTFixture(b, cfg)
				tok := sign(b, f.keys[alg], "at+jwt", testClaims(time.Now()))
				h := protect(b, f.v, benchOK, "read")
				req := benchRequest(b, tok)
				// Load the key set before timing.
				if _, err := f.v.VerifyAccessToken(b.Context(), tok); err != nil {
					b.Fatal(err)
				}
				serveLoop(b, h, req)
			})
		}
	}
}

// BenchmarkJWTLoopback sends real HTTP requests over 127.0.0.1 with a cached
// (repeat) ES256 JWT through Authenticate and RequireScope, beside the plain
// handler over the same path, as a resource server sees them.
func BenchmarkJWTLoopback(b *testing.B) {
	f := newJWTFixture(b, JWTConfig{Now: time.Now})
	tok := sign(b, f.keys[jose.ES256], "at+jwt", testClaims(time.Now()))
	if _, err := f.v.VerifyAccessToken(b.Context(), tok); err != nil {
		b.Fatal(err)
	}
	want := "Bearer " + tok
	plain := plainHandler(tok)
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"plain", plain}, {"jwt", protect(b, f.v, benchOK, "read")}} {
		b.Run(tc.name, func(b *testing.B) {
			ts := httptest.NewServer(tc.h)
			defer ts.Close()
			req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, ts.URL+"/me", nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", want)
			client := ts.Client()
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
