package redis

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kunci/kunci/authserver"
)

// The whole token requests of store/postgres's bench_server_test.go (same
// name, same request, same configuration) on the single node the tests
// share, and their floor: the same request to a plain net/http handler, so
// that each figure can be read as a ratio to it. Run them together:
//
//	go test -run '^$' -bench TokenEndpoint -benchmem
//
// and, for Redis with appendonly yes and appendfsync always,
// KUNCI_REDIS_DURABLE=1 in front.

const (
	benchClient   = "app"
	benchSecret   = "app-secret-0123456789"
	benchTokenReq = "grant_type=password&username=alice&password=pw&scope=basic_info"
)

func benchTokenRequest() *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(benchTokenReq))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(benchClient, benchSecret)
	return req
}

// benchServe runs the serial and the parallel (8 requests per core at once,
// as a busy server would) sub-benchmarks of h.
func benchServe(b *testing.B, h http.Handler) {
	serve := func(b *testing.B) bool {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, benchTokenRequest())
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

// BenchmarkTokenEndpoint measures whole token requests against an
// authserver on Redis: client lookup, secret check, and the saves of a
// password grant (the grant with its first refresh token, and its access
// token), through ServeHTTP.
func BenchmarkTokenEndpoint(b *testing.B) {
	srv, err := authserver.New(authserver.Config{
		Issuer:        "https://auth.example.com",
		Scopes:        []authserver.Scope{{Name: "basic_info"}},
		Grants:        []authserver.GrantType{authserver.GrantPassword, authserver.GrantRefreshToken},
		Limits:        authserver.Limits{FailureLimit: -1},
		CheckPassword: func(_ context.Context, u, p string) (string, bool, error) { return "user-" + u, p == "pw", nil },
	}, newBenchStore(b))
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.RegisterClient(b.Context(), authserver.Client{ID: benchClient, Secret: benchSecret,
		GrantTypes: []authserver.GrantType{authserver.GrantPassword, authserver.GrantRefreshToken}, Scopes: []string{"basic_info"}}); err != nil {
		b.Fatal(err)
	}
	benchServe(b, srv)
}

// BenchmarkTokenEndpointFloor is the floor of BenchmarkTokenEndpoint: a
// plain handler that does the request handling of the token endpoint and
// nothing else (method, media type, bounded body read, form parsing, Basic
// decoding, the password check) and answers with a JSON body of the same
// shape. No store, no hashing, no random token.
func BenchmarkTokenEndpointFloor(b *testing.B) {
	benchServe(b, floorTokenHandler())
}

func floorTokenHandler() http.Handler {
	type response struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
		Scope        string `json:"scope"`
	}
	access := "kat_" + strings.Repeat("A", 22) + "." + strings.Repeat("B", 43)
	refresh := "krt_" + strings.Repeat("C", 22) + "." + strings.Repeat("D", 43)
	fail := func(w http.ResponseWriter, status int) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(status)
		io.WriteString(w, `{"error":"invalid_request"}`)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			fail(w, http.StatusMethodNotAllowed)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
			fail(w, http.StatusBadRequest)
			return
		}
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			fail(w, http.StatusBadRequest)
			return
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil || form.Get("grant_type") != "password" {
			fail(w, http.StatusBadRequest)
			return
		}
		dec, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "))
		id, secret, ok := strings.Cut(string(dec), ":")
		if err != nil || !ok || id != benchClient || secret != benchSecret {
			fail(w, http.StatusUnauthorized)
			return
		}
		if form.Get("username") == "" || form.Get("password") != "pw" {
			fail(w, http.StatusBadRequest)
			return
		}
		body, err := json.Marshal(response{AccessToken: access, TokenType: "Bearer", ExpiresIn: 1800, RefreshToken: refresh, Scope: form.Get("scope")})
		if err != nil {
			fail(w, http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json;charset=UTF-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
}
