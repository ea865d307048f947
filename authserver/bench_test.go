package authserver_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

// backgroundTokens is how many other live access tokens the store and the
// floor's map hold while a benchmark runs.
const backgroundTokens = 10000

// newBenchServer returns a server with the service client registered and
// backgroundTokens access tokens already issued.
func newBenchServer(b *testing.B) *authserver.Server {
	b.Helper()
	st := store.NewMemoryWithCleanup(0)
	srv, err := authserver.New(authserver.Config{Issuer: testIssuer, Scopes: testScopes}, st)
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
	return srv
}

const benchBody = "grant_type=client_credentials&scope=basic_info"

// BenchmarkTokenClientCredentials measures a whole client_credentials token
// request through Server.ServeHTTP.
func BenchmarkTokenClientCredentials(b *testing.B) {
	srv := newBenchServer(b)
	authz := basic(serviceID, servicePass)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, tokenRequest(benchBody, authz))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}

// floorTokenHandler does the request handling of the token endpoint and
// nothing else: media type, bounded body read, form parsing, Basic decoding
// and a JSON body of the same shape. No store, no hashing, no random token.
func floorTokenHandler(id, secret string) http.Handler {
	token := "kat_" + strings.Repeat("A", 43)
	type resp struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
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
		vals, err := url.ParseQuery(string(raw))
		if err != nil || len(vals["grant_type"]) != 1 || vals.Get("grant_type") != "client_credentials" {
			fail(w, http.StatusBadRequest)
			return
		}
		user, pass, ok := strings.Cut(strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "), ":")
		if dec, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")); err == nil {
			user, pass, ok = strings.Cut(string(dec), ":")
		}
		user, _ = url.QueryUnescape(user)
		pass, _ = url.QueryUnescape(pass)
		if !ok || user != id || pass != secret {
			fail(w, http.StatusUnauthorized)
			return
		}
		body, _ := json.Marshal(resp{AccessToken: token, TokenType: "Bearer", ExpiresIn: 1800})
		h := w.Header()
		h.Set("Content-Type", "application/json;charset=UTF-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
}

// BenchmarkFloorTokenHandler is the floor of BenchmarkTokenClientCredentials.
func BenchmarkFloorTokenHandler(b *testing.B) {
	h := floorTokenHandler(serviceID, servicePass)
	authz := basic(serviceID, servicePass)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, tokenRequest(benchBody, authz))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkVerifyAccessToken measures reading a bearer token from a request
// and verifying it with Server.VerifyAccessToken.
func BenchmarkVerifyAccessToken(b *testing.B) {
	srv := newBenchServer(b)
	ctx := context.Background()
	it, err := srv.IssueToken(ctx, authserver.TokenRequest{ClientID: serviceID, Scopes: []string{"basic_info", "keys_op"}})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+it.AccessToken)
	b.ReportAllocs()
	for b.Loop() {
		tok, _ := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		info, err := srv.VerifyAccessToken(ctx, tok)
		if err != nil || info.ClientID != serviceID {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorVerify is the floor of BenchmarkVerifyAccessToken: the same
// header read, a SHA-256 of the token and a map lookup.
func BenchmarkFloorVerify(b *testing.B) {
	tokens := make(map[[32]byte]middleware.TokenInfo, backgroundTokens+1)
	for range backgroundTokens {
		tokens[sha256.Sum256([]byte("kat_"+randomString()))] = middleware.TokenInfo{ClientID: serviceID}
	}
	tok := "kat_" + randomString()
	tokens[sha256.Sum256([]byte(tok))] = middleware.TokenInfo{ClientID: serviceID, Scopes: []string{"basic_info", "keys_op"},
		ExpiresAt: time.Now().Add(time.Hour)}
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	for b.Loop() {
		t, _ := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		info, ok := tokens[sha256.Sum256([]byte(t))]
		if !ok || info.ClientID != serviceID {
			b.Fatal("not found")
		}
	}
}

// BenchmarkTokenLoopback sends the client_credentials request over real HTTP
// on 127.0.0.1, to the floor handler and to the server, as a client sees the
// token endpoint.
func BenchmarkTokenLoopback(b *testing.B) {
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"floor", floorTokenHandler(serviceID, servicePass)}, {"kunci", newBenchServer(b)}} {
		b.Run(tc.name, func(b *testing.B) {
			ts := httptest.NewServer(tc.h)
			defer ts.Close()
			client := ts.Client()
			authz := basic(serviceID, servicePass)
			b.ReportAllocs()
			for b.Loop() {
				req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, ts.URL+"/oauth/token", strings.NewReader(benchBody))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", authz)
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

// BenchmarkTokenJWT measures a client_credentials request that gets an
// RFC 9068 JWT access token, per signing algorithm, to compare with the
// opaque BenchmarkTokenClientCredentials.
func BenchmarkTokenJWT(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256} {
		b.Run(string(alg), func(b *testing.B) {
			key, err := authserver.GenerateSigningKey(alg)
			if err != nil {
				b.Fatal(err)
			}
			srv, err := authserver.New(authserver.Config{Issuer: testIssuer, Scopes: testScopes,
				JWT: authserver.JWT{SigningKeys: []jose.JSONWebKey{key}}}, store.NewMemoryWithCleanup(0))
			if err != nil {
				b.Fatal(err)
			}
			if err := srv.RegisterClient(context.Background(), authserver.Client{ID: serviceID, Secret: servicePass,
				GrantTypes: grants("client_credentials"), Scopes: []string{"basic_info"}, AccessTokenFormat: "jwt"}); err != nil {
				b.Fatal(err)
			}
			authz := basic(serviceID, servicePass)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, tokenRequest(benchBody, authz))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}

// newBenchCodeServer returns a server with the confidential client of the
// tests registered, for the code and refresh benchmarks.
func newBenchCodeServer(b *testing.B) (*authserver.Server, *store.Memory) {
	b.Helper()
	st := store.NewMemoryWithCleanup(0)
	srv, err := authserver.New(authserver.Config{Issuer: testIssuer, Scopes: testScopes,
		Browser: authserver.Browser{Session: signedIn("user-alice"), LoginURL: "/login"}}, st)
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.RegisterClient(b.Context(), authserver.Client{ID: confidentialID, Secret: confidentialPass,
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "refresh_token"),
		Scopes: []string{"basic_info"}}); err != nil {
		b.Fatal(err)
	}
	return srv, st
}

// BenchmarkTokenCode measures a whole authorization_code exchange with PKCE
// through Server.ServeHTTP: the code is read and checked, then consumed,
// and an access token and the grant's first refresh token are issued. The
// grant and code the authorization endpoint would save are made outside
// the timer.
func BenchmarkTokenCode(b *testing.B) {
	srv, st := newBenchCodeServer(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		now := time.Now()
		grantID := newGrantID()
		if err := st.SaveGrant(b.Context(), store.Grant{ID: grantID, ClientID: confidentialID, Subject: "user-alice",
			Scopes: []string{"basic_info"}, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
			b.Fatal(err)
		}
		code := grantToken("kac_", grantID)
		if err := st.SaveCode(b.Context(), store.AuthCode{Hash: hashOf(code), GrantID: grantID, ClientID: confidentialID,
			RedirectURI: testRedirect, CodeChallenge: testChallenge, CodeChallengeMethod: "S256",
			IssuedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
			b.Fatal(err)
		}
		req := tokenRequest(codeForm(code, testVerifier).Encode(), basic(confidentialID, confidentialPass))
		rec := httptest.NewRecorder()
		b.StartTimer()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkTokenRefresh measures a whole refresh_token request through
// Server.ServeHTTP: the grant is read, its refresh token rotated by
// compare-and-swap and an access token issued. Each iteration presents the
// refresh token the previous one received, so one grant rotates b.N times.
func BenchmarkTokenRefresh(b *testing.B) {
	srv, _ := newBenchCodeServer(b)
	it, err := srv.IssueToken(b.Context(), authserver.TokenRequest{ClientID: confidentialID, Subject: "user-alice",
		Scopes: []string{"basic_info"}, Refresh: true})
	if err != nil {
		b.Fatal(err)
	}
	refresh := it.RefreshToken
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, tokenRequest(refreshForm(refresh).Encode(), basic(confidentialID, confidentialPass)))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		var body struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			b.Fatal(err)
		}
		refresh = body.RefreshToken
	}
}
