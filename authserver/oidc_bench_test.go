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
	"github.com/kunci/kunci/store"
)

// idTokenAlgs are the algorithms an ID Token may be signed with.
var idTokenAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// benchClaims is the host's claims callback of the OpenID benchmarks: a
// fixed user, as a host's in-memory cache would answer.
func benchClaims(_ context.Context, _ string, names []string) (map[string]any, error) {
	all := map[string]any{"name": "Alice Liddell", "email": "alice@example.com", "email_verified": true}
	out := make(map[string]any, len(names))
	for _, n := range names {
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out, nil
}

// newBenchOIDCServer returns an OpenID server on a fresh memory store
// whose keys are the RS256 key OpenID Connect needs and one of alg, with
// rp registered to get ID Tokens signed with alg, and backgroundTokens
// other access tokens issued.
func newBenchOIDCServer(b *testing.B, alg jose.SignatureAlgorithm) (*authserver.Server, *store.Memory) {
	b.Helper()
	keys := []jose.JSONWebKey{oidcRSAKey()}
	if alg != jose.RS256 {
		k, err := authserver.GenerateSigningKey(alg)
		if err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k)
	}
	st := store.NewMemoryWithCleanup(0)
	srv, err := authserver.New(authserver.Config{Issuer: testIssuer,
		Scopes:  []authserver.Scope{{Name: "basic_info", Description: "Read your name and email", Claims: []string{"name", "email"}}},
		Browser: authserver.Browser{Session: signedIn("user-alice"), LoginURL: "/login"},
		JWT:     authserver.JWT{SigningKeys: keys},
		OpenID:  authserver.OpenID{Enabled: true, Claims: benchClaims}}, st)
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	if err := srv.RegisterClient(ctx, authserver.Client{ID: rpID, Secret: rpSecret, RedirectURIs: []string{testRedirect},
		GrantTypes: grants("authorization_code", "client_credentials"), Scopes: []string{"openid", "basic_info"},
		IDTokenSignedResponseAlg: alg}); err != nil {
		b.Fatal(err)
	}
	for range backgroundTokens {
		if _, err := srv.IssueToken(ctx, authserver.TokenRequest{ClientID: rpID, Scopes: []string{"basic_info"}}); err != nil {
			b.Fatal(err)
		}
	}
	return srv, st
}

// saveOpenIDCode stores, as the authorization endpoint would, an
// approved OpenID grant of rp for user-alice and its code, and returns the
// code.
func saveOpenIDCode(b *testing.B, st *store.Memory) string {
	b.Helper()
	now := time.Now()
	grantID := newGrantID()
	if err := st.SaveGrant(b.Context(), store.Grant{ID: grantID, ClientID: rpID, Subject: "user-alice",
		Scopes: []string{"openid", "basic_info"}, AuthTime: testAuthTime, Nonce: "n-0S6_WzA2Mj",
		CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
		b.Fatal(err)
	}
	code := grantToken("kac_", grantID)
	if err := st.SaveCode(b.Context(), store.AuthCode{Hash: hashOf(code), GrantID: grantID, ClientID: rpID,
		RedirectURI: testRedirect, CodeChallenge: testChallenge, CodeChallengeMethod: "S256",
		IssuedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
		b.Fatal(err)
	}
	return code
}

// BenchmarkIDToken measures the code exchange of an OpenID grant through
// Server.ServeHTTP, per algorithm of the ID Token: the code is checked and
// consumed, an opaque access token issued and an ID Token signed. The
// grant and code are stored outside the timer. BenchmarkIDTokenFloor is
// its floor.
func BenchmarkIDToken(b *testing.B) {
	for _, alg := range idTokenAlgs {
		b.Run(string(alg), func(b *testing.B) {
			srv, st := newBenchOIDCServer(b, alg)
			authz := basic(rpID, rpSecret)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				req := tokenRequest(codeForm(saveOpenIDCode(b, st), testVerifier).Encode(), authz)
				rec := httptest.NewRecorder()
				b.StartTimer()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"id_token":"eyJ`) {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}

// floorCodeHandler does the request handling of a code exchange and
// nothing else: media type, bounded body read, form parsing, Basic
// decoding, and a constant JSON body of the same shape with an ID Token
// of typical length. No store, no hashing, no signature.
func floorCodeHandler(id, secret string) http.Handler {
	body, _ := json.Marshal(map[string]any{"access_token": "kat_" + strings.Repeat("A", 43), "token_type": "Bearer",
		"expires_in": 1800, "id_token": "eyJ" + strings.Repeat("A", 600) + "." + strings.Repeat("B", 342)})
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
		if err != nil || vals.Get("grant_type") != "authorization_code" || vals.Get("code") == "" || vals.Get("code_verifier") == "" {
			fail(w, http.StatusBadRequest)
			return
		}
		dec, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "))
		user, pass, ok := strings.Cut(string(dec), ":")
		user, _ = url.QueryUnescape(user)
		pass, _ = url.QueryUnescape(pass)
		if err != nil || !ok || user != id || pass != secret {
			fail(w, http.StatusUnauthorized)
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

// BenchmarkIDTokenFloor is the floor of BenchmarkIDToken: the same
// request, answered by floorCodeHandler.
func BenchmarkIDTokenFloor(b *testing.B) {
	h := floorCodeHandler(rpID, rpSecret)
	authz := basic(rpID, rpSecret)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		req := tokenRequest(codeForm(grantToken("kac_", newGrantID()), testVerifier).Encode(), authz)
		rec := httptest.NewRecorder()
		b.StartTimer()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}

// userInfoRequest is a GET of the UserInfo endpoint with token as the
// bearer token.
func userInfoRequest(token string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/oauth/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// BenchmarkUserInfo measures the UserInfo endpoint through
// Server.ServeHTTP with an opaque access token of an OpenID grant whose
// scopes release two claims: the token and its grant are looked up, the
// scope checked, the host asked for the claims and the JSON written.
// BenchmarkUserInfoFloor is its floor.
func BenchmarkUserInfo(b *testing.B) {
	srv, st := newBenchOIDCServer(b, jose.RS256)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, tokenRequest(codeForm(saveOpenIDCode(b, st), testVerifier).Encode(), basic(rpID, rpSecret)))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	want := `{"email":"alice@example.com","name":"Alice Liddell","sub":"user-alice"}`
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, userInfoRequest(tok.AccessToken))
		if rec.Code != http.StatusOK || rec.Body.String() != want {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkUserInfoFloor is the floor of BenchmarkUserInfo: a plain
// handler that reads the bearer token, finds its SHA-256 among
// backgroundTokens others as BenchmarkFloorVerify does, and answers with
// a constant body and the same headers.
func BenchmarkUserInfoFloor(b *testing.B) {
	tokens := make(map[[32]byte]string, backgroundTokens+1)
	for range backgroundTokens {
		tokens[sha256.Sum256([]byte("kat_"+randomString()))] = "user-other"
	}
	tok := "kat_" + randomString()
	tokens[sha256.Sum256([]byte(tok))] = "user-alice"
	body := []byte(`{"email":"alice@example.com","name":"Alice Liddell","sub":"user-alice"}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if _, found := tokens[sha256.Sum256([]byte(t))]; r.Method != http.MethodGet || !ok || !found {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+testIssuer+`"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		hd := w.Header()
		hd.Set("Content-Type", "application/json;charset=UTF-8")
		hd.Set("Cache-Control", "no-store")
		hd.Set("Pragma", "no-cache")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, userInfoRequest(tok))
		if rec.Code != http.StatusOK || rec.Body.String() != string(body) {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}
