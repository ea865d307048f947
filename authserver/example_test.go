package authserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// A service client obtains an access token with the client_credentials
// grant (RFC 6749 §4.4) and the server verifies it.
func Example() {
	ctx := context.Background()
	st := store.NewMemory()
	defer st.Close()
	srv, err := authserver.New(authserver.Config{
		Issuer: "https://auth.example.com",
		Scopes: []authserver.Scope{{Name: "reports", Description: "Read reports"}},
	}, st)
	if err != nil {
		log.Fatal(err)
	}
	err = srv.RegisterClient(ctx, authserver.Client{
		ID: "billing", Secret: "billing-secret-0123456789",
		GrantTypes: []authserver.GrantType{authserver.GrantClientCredentials}, Scopes: []string{"reports"},
	})
	if err != nil {
		log.Fatal(err)
	}

	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"reports"}}
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("billing", "billing-secret-0123456789")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)

	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Code, tok.TokenType, tok.ExpiresIn)

	info, err := srv.VerifyAccessToken(ctx, tok.AccessToken)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.ClientID, info.Scopes)
	// Output:
	// 200 Bearer 1800
	// billing [reports]
}

// Endpoints can live on custom paths, and the server can be mounted under a
// prefix with http.StripPrefix. TokenHandler serves the token endpoint alone
// for hosts that route it themselves.
func ExampleServer_TokenHandler() {
	ctx := context.Background()
	st := store.NewMemory()
	defer st.Close()
	srv, err := authserver.New(authserver.Config{
		Issuer: "https://nu.example/api",
		Paths:  authserver.Paths{Token: "/oauth/token"},
		Compat: authserver.Compat{RefreshAliases: []string{"/oauth/refreshAccessToken"}},
	}, st)
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.RegisterClient(ctx, authserver.Client{
		ID: "svc", Secret: "svc-secret-0123456789", GrantTypes: []authserver.GrantType{authserver.GrantClientCredentials},
	}); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	// Every endpoint under /api, as NU.ID's second base URL has it.
	mux.Handle("/api/oauth/", http.StripPrefix("/api", srv))
	// The token endpoint alone on a path of the host's choosing.
	mux.Handle("POST /v2/token", srv.TokenHandler())

	for _, path := range []string{"/api/oauth/token", "/v2/token", "/oauth/token"} {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("svc", "svc-secret-0123456789")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(path, rec.Code)
	}
	// Output:
	// /api/oauth/token 200
	// /v2/token 200
	// /oauth/token 404
}
