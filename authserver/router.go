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
// wildcards, methods or hosts, and hold no "%": Config.Paths and the
// issuer give them, and checkPaths has refused any other.
func (rt *router) Handle(path string, h http.Handler) {
	rt.mux.Handle(path, h)
	rt.exact[path] = h
}

// ServeHTTP serves r. On the map's path it sets r.Pattern, as the mux
// does, but leaves the path values an outer ServeMux may have set, which
// the mux would clear: no kunci handler reads path values, since none of
// its paths has wildcards.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := rt.exact[r.URL.Path]; ok && r.URL.RawPath == "" && r.Method != http.MethodConnect {
		r.Pattern = r.URL.Path
		h.ServeHTTP(w, r)
		return
	}
	rt.mux.ServeHTTP(w, r)
}
