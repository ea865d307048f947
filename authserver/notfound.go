package authserver

import (
	"log/slog"
	"net/http"
	"net/url"
)

// maxLoggedPath bounds how much of an unknown path is logged.
const maxLoggedPath = 256

// handleNotFound registers on mux, which must hold every route already, a
// handler for every other path: it answers 404 as the ServeMux would, and
// logs the request at debug level with the paths that are mounted, so that a
// host that mounted the server under another prefix, or a client set up with
// a wrong path, can see why. Paths already hold "/" when one of Config.Paths
// is "/"; then there is no other path and nothing is registered.
func (s *Server) handleNotFound(mux *router) {
	var mounted []string
	for _, rp := range s.cfg.routePaths() {
		if _, pattern := mux.mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: rp.path}}); pattern == rp.path {
			mounted = append(mounted, rp.path)
		}
	}
	if _, pattern := mux.mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}}); pattern == "/" {
		return
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prefix := mountPrefix(r)
		hint := make([]string, len(mounted))
		for i, p := range mounted {
			hint[i] = prefix + p
		}
		path := prefix + r.URL.Path
		if len(path) > maxLoggedPath {
			path = path[:maxLoggedPath] + "..."
		}
		// The query is left out: it may carry a token or a code.
		s.log.DebugContext(r.Context(), "authserver: no endpoint at this path",
			slog.String("method", r.Method), slog.String("path", path), slog.Any("mounted", hint))
		http.NotFound(w, r)
	}))
}
