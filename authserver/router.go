package authserver

import "net/http"

// router dispatches a request to the endpoint its path names: an
// http.ServeMux, with the exact paths it was given in a map in front of
// it. A request whose path is exactly one of them, needs no cleaning and
// no unescaping, and is not a CONNECT is served by that path's handler
// without a walk of the mux's tree, as the mux would serve it; every other
// request (redirects to a clean path, the not-found answer) is the mux's.
type router struct {
	mux   *http.ServeMux
	exact map[string]http.Handler
}

// newRouter returns an empty router.
func newRouter() *router {
	return &router{mux: http.NewServeMux(), exact: map[string]http.Handler{}}
}

// Handle serves the exact path with h. Paths are never patterns with
// wildcards, methods or hosts: Config.Paths and the issuer give them.
func (rt *router) Handle(path string, h http.Handler) {
	rt.mux.Handle(path, h)
	rt.exact[path] = h
}

// ServeHTTP serves r.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := rt.exact[r.URL.Path]; ok && r.URL.RawPath == "" && r.Method != http.MethodConnect {
		// What the mux would record of its match; no path here has
		// wildcards, so there are no path values.
		r.Pattern = r.URL.Path
		h.ServeHTTP(w, r)
		return
	}
	rt.mux.ServeHTTP(w, r)
}
