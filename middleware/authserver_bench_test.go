package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// benchServerToken returns a kunci server on a memory store and a live
// access token with the scope "basic_info".
func benchServerToken(b *testing.B) (*authserver.Server, string) {
	b.Helper()
	srv, err := authserver.New(authserver.Config{
		Issuer: "https://auth.example.com",
		Scopes: []authserver.Scope{{Name: "basic_info"}},
	}, store.NewMemoryWithCleanup(0))
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.RegisterClient(b.Context(), authserver.Client{ID: "svc", Secret: "svc-secret-0123456789",
		GrantTypes: []authserver.GrantType{authserver.GrantClientCredentials}, Scopes: []string{"basic_info"}}); err != nil {
		b.Fatal(err)
	}
	it, err := srv.IssueToken(b.Context(), authserver.TokenRequest{ClientID: "svc", Scopes: []string{"basic_info"}})
	if err != nil {
		b.Fatal(err)
	}
	return srv, it.AccessToken
}

// plainFor is the floor: a handler that compares the Authorization header
// with a constant.
func plainFor(token string) http.Handler {
	want := "Bearer " + token
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != want {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte("ok"))
	})
}

func protected(b *testing.B, srv *authserver.Server) http.Handler {
	return protectWith(b, srv, http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }), "basic_info")
}

// BenchmarkServerVerifier compares a request through Authenticate and
// RequireScope, with the in-process *authserver.Server as the verifier,
// against the plain handler: "recorder" calls ServeHTTP directly, "loopback"
// sends real HTTP requests over 127.0.0.1 as a resource server sees them.
func BenchmarkServerVerifier(b *testing.B) {
	srv, token := benchServerToken(b)
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"plain", plainFor(token)}, {"kunci", protected(b, srv)}} {
		b.Run("recorder/"+tc.name, func(b *testing.B) {
			req := httptest.NewRequestWithContext(b.Context(), http.MethodGet, "/me", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				tc.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
		b.Run("loopback/"+tc.name, func(b *testing.B) {
			ts := httptest.NewServer(tc.h)
			defer ts.Close()
			client := ts.Client()
			req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, ts.URL+"/me", nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
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
