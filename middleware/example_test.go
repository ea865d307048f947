package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/kunci/kunci/middleware"
)

// stub is a Verifier that knows three tokens; a real application uses the
// authorization server, an IntrospectionVerifier or a JWTVerifier.
var stub = middleware.VerifierFunc(func(_ context.Context, token string) (middleware.TokenInfo, error) {
	switch token {
	case "reader":
		return middleware.TokenInfo{Subject: "alice", ClientID: "app", Scopes: []string{"basic_info"},
			Audience: []string{"https://api.example.com/"}}, nil
	case "service":
		return middleware.TokenInfo{ClientID: "batch", Scopes: []string{"reports"},
			Audience: []string{"https://reports.example.com/"}}, nil
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
	auth, err := middleware.Authenticate(stub, middleware.Options{})
	if err != nil {
		panic(err) // bad configuration is reported when the middleware is built
	}
	basicInfo, err := middleware.RequireScope("basic_info")
	if err != nil {
		panic(err)
	}
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := middleware.TokenInfoFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", info.Subject)
	})
	h := auth(basicInfo(me))

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
// bare. The scope check answers with the realm of the Authenticate in front
// of it.
func ExampleAuthenticate_serveMux() {
	auth, err := middleware.Authenticate(stub, middleware.Options{Realm: "example"})
	if err != nil {
		panic(err)
	}
	reports, err := middleware.RequireScope("reports")
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
	mux.Handle("GET /reports", auth(reports(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := middleware.TokenInfoFromContext(r.Context())
		fmt.Fprintf(w, "reports for client %s", info.ClientID)
	}))))

	get(mux, "/health", "")
	get(mux, "/reports", "service")
	get(mux, "/reports", "")
	get(mux, "/reports", "reader")
	// Output:
	// 200 ok
	// 200 reports for client batch
	// 401 Unauthorized
	//   WWW-Authenticate: Bearer realm="example"
	// 403 insufficient_scope
	//   WWW-Authenticate: Bearer realm="example", error="insufficient_scope", scope="reports"
}

// Options.Audience makes Authenticate refuse a token issued for another
// resource server (RFC 8707, RFC 9068 §4), whatever the Verifier.
func ExampleAuthenticate_audience() {
	auth, err := middleware.Authenticate(stub, middleware.Options{Audience: "https://api.example.com/"})
	if err != nil {
		panic(err)
	}
	h := auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := middleware.TokenInfoFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", info.Subject)
	}))

	get(h, "/me", "reader")  // issued for https://api.example.com/
	get(h, "/me", "service") // issued for https://reports.example.com/
	// Output:
	// 200 hello alice
	// 401 invalid_token
	//   WWW-Authenticate: Bearer error="invalid_token"
}

// A configuration that cannot work is an error when the middleware is
// built, not a 500 or a 403 on every request.
func ExampleAuthenticate_configurationErrors() {
	_, err := middleware.Authenticate(nil, middleware.Options{})
	fmt.Println(err)
	_, err = middleware.Authenticate(stub, middleware.Options{MaxTokenLength: -1})
	fmt.Println(err)
	_, err = middleware.RequireScope("basic info")
	fmt.Println(err)
	_, err = middleware.RequireAnyScope()
	fmt.Println(err)
	// Output:
	// middleware: Authenticate needs a Verifier, got nil
	// middleware: Options.MaxTokenLength is negative
	// middleware: RequireScope: invalid scope "basic info"
	// middleware: RequireAnyScope needs at least one scope
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
// r.With(auth, anyOf).Get(...).
func ExampleRequireAnyScope() {
	auth, err := middleware.Authenticate(stub, middleware.Options{})
	if err != nil {
		panic(err)
	}
	anyOf, err := middleware.RequireAnyScope("reports", "admin")
	if err != nil {
		panic(err)
	}
	admin := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "admin area") })
	h := chain(admin, auth, anyOf)

	get(h, "/admin", "service")
	get(h, "/admin", "reader")
	// Output:
	// 200 admin area
	// 403 insufficient_scope
	//   WWW-Authenticate: Bearer error="insufficient_scope", scope="reports admin"
}
