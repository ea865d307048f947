package middleware_test

import (
	"net/http"
	"testing"

	"github.com/kunci/kunci/middleware"
)

// protectWith puts h behind Authenticate(v) with the zero Options and
// RequireScope(scopes...), failing t on a configuration error.
func protectWith(t testing.TB, v middleware.Verifier, h http.Handler, scopes ...string) http.Handler {
	t.Helper()
	auth, err := middleware.Authenticate(v, middleware.Options{})
	if err != nil {
		t.Fatal(err)
	}
	scope, err := middleware.RequireScope(scopes...)
	if err != nil {
		t.Fatal(err)
	}
	return auth(scope(h))
}
