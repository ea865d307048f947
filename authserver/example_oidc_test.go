package authserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// An OpenID Provider: the browser side says who is signed in, an RS256 key
// signs ID Tokens, and the host's claims callback answers UserInfo with the
// claims of the scopes a token carries. Relying parties find everything
// through the OpenID Provider configuration.
func ExampleOpenID() {
	key, err := authserver.GenerateSigningKey(jose.RS256)
	if err != nil {
		log.Fatal(err)
	}
	users := map[string]map[string]any{
		"user-alice": {"name": "Alice Liddell", "email": "alice@example.com", "email_verified": true},
	}
	st := store.NewMemory()
	defer st.Close()
	srv, err := authserver.New(authserver.Config{
		Issuer: "https://auth.example.com",
		Scopes: []authserver.Scope{
			{Name: "profile", Description: "Read your name"},
			{Name: "email", Description: "Read your email address"},
		},
		Browser: authserver.Browser{
			Session: func(r *http.Request) (authserver.Session, bool) {
				return authserver.Session{}, false // the host's own sign-in goes here
			},
			LoginURL: "/login",
		},
		JWT: authserver.JWT{SigningKeys: []jose.JSONWebKey{key}},
		OpenID: authserver.OpenID{
			Enabled: true,
			Claims: func(_ context.Context, subject string, names []string) (map[string]any, error) {
				claims := map[string]any{}
				for _, name := range names {
					if v, ok := users[subject][name]; ok {
						claims[name] = v
					}
				}
				return claims, nil
			},
		},
	}, st)
	if err != nil {
		log.Fatal(err)
	}

	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/openid-configuration", nil))
	var conf struct {
		UserInfo string   `json:"userinfo_endpoint"`
		Algs     []string `json:"id_token_signing_alg_values_supported"`
		Scopes   []string `json:"scopes_supported"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &conf); err != nil {
		log.Fatal(err)
	}
	fmt.Println(conf.UserInfo)
	fmt.Println(conf.Algs)
	fmt.Println(conf.Scopes)
	// Output:
	// https://auth.example.com/oauth/userinfo
	// [RS256]
	// [profile email openid offline_access]
}
