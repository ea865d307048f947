package authserver

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The router's map answers exactly as the mux behind it would: the same
// handler and Pattern for an exact path (with any method but CONNECT), and
// the mux's own answer for a path it must clean, unescape or not find, and
// for CONNECT. Each request is built twice, so that the mux's answer is
// not to a request the router has already changed.
func TestRouterAnswersAsTheMux(t *testing.T) {
	rt := newRouter()
	var served, pattern string
	for _, path := range []string{"/oauth/token", "/oauth/userinfo", "/"} {
		rt.Handle(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served, pattern = path, r.Pattern
			w.WriteHeader(http.StatusTeapot)
		}))
	}
	cases := []struct {
		method, target   string
		status           int
		served, location string
	}{
		{http.MethodPost, "/oauth/token", http.StatusTeapot, "/oauth/token", ""},
		{http.MethodGet, "/oauth/userinfo?x=1", http.StatusTeapot, "/oauth/userinfo", ""},
		{http.MethodGet, "/", http.StatusTeapot, "/", ""},
		// Unescaped by the mux, segment by segment, to the token path.
		{http.MethodPost, "/oauth/t%6Fken", http.StatusTeapot, "/oauth/token", ""},
		// An escaped slash is part of one segment: no such path.
		{http.MethodPost, "/oauth%2Ftoken", http.StatusTeapot, "/", ""},
		{http.MethodPost, "/oauth//token", http.StatusTemporaryRedirect, "", "/oauth/token"},
		{http.MethodGet, "/oauth/../oauth/token", http.StatusTemporaryRedirect, "", "/oauth/token"},
		{http.MethodGet, "/other", http.StatusTeapot, "/", ""},
		{http.MethodHead, "/oauth/token", http.StatusTeapot, "/oauth/token", ""},
		// CONNECT goes to the mux, which neither cleans nor redirects
		// its path: "//" finds the catch-all instead.
		{http.MethodConnect, "/oauth/token", http.StatusTeapot, "/oauth/token", ""},
		{http.MethodConnect, "/oauth//token", http.StatusTeapot, "/", ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.target, func(t *testing.T) {
			newReq := func() *http.Request {
				req := httptest.NewRequest(c.method, c.target, nil)
				if c.target == "/oauth/../oauth/token" {
					req.URL.Path = c.target // httptest would not keep the dots
				}
				return req
			}
			served, pattern = "", ""
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, newReq())
			assert.Equal(t, c.status, rec.Code)
			assert.Equal(t, c.served, served)
			assert.Equal(t, c.served, pattern, "Pattern is the registered path, as the mux sets it")
			assert.Equal(t, c.location, rec.Header().Get("Location"))
			// The mux alone gives the same answer.
			served, pattern = "", ""
			alone := httptest.NewRecorder()
			rt.mux.ServeHTTP(alone, newReq())
			assert.Equal(t, rec.Code, alone.Code)
			assert.Equal(t, c.served, served)
			assert.Equal(t, c.served, pattern)
			assert.Equal(t, rec.Header().Get("Location"), alone.Header().Get("Location"))
		})
	}
}
