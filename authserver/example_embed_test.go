package authserver_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

// hostApp stands for the application that embeds the server: it knows who
// is signed in.
type hostApp struct{}

// session reports the signed-in user of r; this host has none yet.
func (hostApp) session(*http.Request) (authserver.Session, bool) { return authserver.Session{}, false }

// A host application mounts the authorization server on its mux and
// protects its own API with the middleware. This is README.md's
// "Embedding" snippet, between the markers.
func ExampleNew() {
	ctx := context.Background()
	mux := http.NewServeMux()
	app := hostApp{}
	webSecret := "a-long-random-secret-from-your-secret-manager"
	meHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})

	// README begins
	st := store.NewMemory()
	defer st.Close()
	srv, err := authserver.New(authserver.Config{
		Issuer: "https://auth.example.com",
		Scopes: []authserver.Scope{{Name: "basic_info", Description: "Read your name and email"}},
		Browser: authserver.Browser{
			Session:  app.session, // func(*http.Request) (authserver.Session, bool)
			LoginURL: "/login",    // gets ?return_to=...&cancel_to=...
		},
		Logger: slog.Default(),
	}, st)
	if err != nil {
		log.Fatal(err) // every setting that cannot work is an error naming its field
	}
	err = srv.RegisterClient(ctx, authserver.Client{
		ID: "web", Secret: webSecret, Name: "Our web app",
		RedirectURIs: []string{"https://app.example.com/callback"},
		GrantTypes:   []authserver.GrantType{authserver.GrantAuthorizationCode, authserver.GrantRefreshToken},
		Scopes:       []string{"basic_info"},
		Resources:    []string{"https://api.example.com"}, // RFC 8707 resource indicators
	})
	if err != nil {
		// An empty webSecret is an error here: a public client must say
		// AuthMethod: authserver.AuthMethodNone. Registering an ID again
		// replaces that client.
		log.Fatal(err)
	}
	mux.Handle("/oauth/", srv)
	mux.Handle("/.well-known/", srv)
	// *authserver.Server is a middleware.Verifier. Clients ask for tokens
	// with resource=https://api.example.com (RFC 8707); Audience refuses
	// tokens for any other resource, and tokens that name none.
	auth, err := middleware.Authenticate(srv, middleware.Options{Audience: "https://api.example.com"})
	if err != nil {
		log.Fatal(err) // a nil verifier or bad options fail here, not per request
	}
	basicInfo, err := middleware.RequireScope("basic_info")
	if err != nil {
		log.Fatal(err) // an invalid scope token fails here
	}
	mux.Handle("GET /api/me", auth(basicInfo(meHandler)))
	// README ends

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/me", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output:
	// 401 Bearer
}

// TestREADMEEmbeddingSnippetIsExampleNew keeps README.md's embedding snippet
// and ExampleNew the same code, so the README compiles against the API.
func TestREADMEEmbeddingSnippetIsExampleNew(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)## Embedding\n\n```go\n(.*?)```").FindSubmatch(readme)
	require.Len(t, m, 2, "README.md has an Embedding section with a Go block")
	source, err := os.ReadFile("example_embed_test.go")
	require.NoError(t, err)
	src := string(source)
	begin := strings.Index(src, "// README begins\n") + len("// README begins\n")
	end := strings.Index(src, "\t// README ends")
	require.Less(t, begin, end)
	var want strings.Builder
	for line := range strings.Lines(src[begin:end]) {
		want.WriteString(strings.TrimPrefix(line, "\t"))
	}
	assert.Equal(t, want.String(), string(m[1]))
}
