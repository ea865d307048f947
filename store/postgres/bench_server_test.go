package postgres

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kunci/kunci/authserver"
)

// BenchmarkTokenEndpoint measures whole token requests against an
// authserver on PostgreSQL: client lookup, secret check, and the saves of a
// password grant (the grant, its access token and its first refresh token),
// through ServeHTTP. The
// parallel variant runs 8 requests per core at once, as a busy server would.
func BenchmarkTokenEndpoint(b *testing.B) {
	srv, err := authserver.New(authserver.Config{
		Issuer:        "https://auth.example.com",
		Scopes:        []authserver.Scope{{Name: "basic_info"}},
		Grants:        []authserver.GrantType{authserver.GrantPassword, authserver.GrantRefreshToken},
		Limits:        authserver.Limits{FailureLimit: -1},
		CheckPassword: func(_ context.Context, u, p string) (string, bool, error) { return "user-" + u, p == "pw", nil },
	}, newTestStore(b))
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.RegisterClient(b.Context(), authserver.Client{ID: "app", Secret: "app-secret-0123456789",
		GrantTypes: []authserver.GrantType{authserver.GrantPassword, authserver.GrantRefreshToken}, Scopes: []string{"basic_info"}}); err != nil {
		b.Fatal(err)
	}
	request := func() *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=password&username=alice&password=pw&scope=basic_info"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("app", "app-secret-0123456789")
		return req
	}
	serve := func(b *testing.B) bool {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, request())
		if rec.Code != http.StatusOK {
			b.Errorf("status %d: %s", rec.Code, rec.Body.String())
			return false
		}
		return true
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !serve(b) {
				return
			}
		}
		reportOps(b)
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !serve(b) {
					return
				}
			}
		})
		reportOps(b)
	})
}
