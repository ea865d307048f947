package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/kunci/kunci/middleware"
)

// stub is a Verifier that knows two tokens; a real application uses the
// authorization server, an IntrospectionVerifier or a JWTVerifier.
var stub = middleware.VerifierFunc(func(_ context.Context, token string) (middleware.TokenInfo, error) {
	switch token {
	case "reader":
		return middleware.TokenInfo{Subject: "alice", ClientID: "app", Scopes: []string{"basic_info"}}, nil
	case "service":
		return middleware.TokenInfo{ClientID: "batch", Scopes: []string{"reports"}}, nil
	}
	return middleware.TokenInfo{}, middleware.ErrInvalidToken
})

// get sends a GET through h with an optional bearer token and prints the
// status and challenge.
func get(h http.Handler, path, token string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	if c := rec.Header().Get("WWW-Authenticate"); c != "" {
		fmt.Println("  WWW-Authenticate:", c)
	}
}

func ExampleRequireScope() {
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := middleware.TokenInfoFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", info.Subject)
	})
	h := middleware.Authenticate(stub)(middleware.RequireScope("basic_info")(me))

	get(h, "/me", "reader")  // has basic_info
	get(h, "/me", "")        // no token
	get(h, "/me", "bogus")   // unknown token
	get(h, "/me", "service") // lacks basic_info
	// Output:
	// 200 hello alice
	// 401 Unauthorized
	//   WWW-Authenticate: Bearer
	// 401 invalid_token
	//   WWW-Authenticate: Bearer error="invalid_token"
	// 403 insufficient_scope
	//   WWW-Authenticate: Bearer error="insufficient_scope", scope="basic_info"
}

// Mounting on http.ServeMux: wrap each protected handler, leave public ones
// bare.
func ExampleAuthenticate_serveMux() {
	auth, err := middleware.AuthenticateWithOptions(stub, middleware.Options{Realm: "example"})
	if err != nil {
		panic(err) // bad configuration is reported at start-up
	}
	reports := middleware.RequireScope("reports")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
	mux.Handle("GET /reports", auth(reports(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := middleware.TokenInfoFromContext(r.Context())
		fmt.Fprintf(w, "reports for client %s", info.ClientID)
	}))))

	get(mux, "/health", "")
	get(mux, "/reports", "service")
	get(mux, "/reports", "")
	// Output:
	// 200 ok
	// 200 reports for client batch
	// 401 Unauthorized
	//   WWW-Authenticate: Bearer realm="example"
}

// chain composes middleware the way chi's r.With and r.Use do: the first one
// listed runs first. Any router that takes func(http.Handler) http.Handler
// works the same way.
func chain(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// Mounting with a chi-style middleware stack, built here from plain function
// composition so the example needs no router. With chi it reads
// r.With(middleware.Authenticate(v), middleware.RequireAnyScope(...)).Get(...).
func ExampleAuthenticate_chain() {
	admin := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "admin area") })
	h := chain(admin,
		middleware.Authenticate(stub),
		middleware.RequireAnyScope("reports", "admin"),
	)

	get(h, "/admin", "service")
	get(h, "/admin", "reader")
	// Output:
	// 200 admin area
	// 403 insufficient_scope
	//   WWW-Authenticate: Bearer error="insufficient_scope", scope="reports admin"
}
