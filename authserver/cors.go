package authserver

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// The CORS response headers (Fetch standard §3.2.3) and what they say.
const (
	// corsAllowHeaders are the request headers a single-page app sends:
	// client credentials or a bearer token, the form body's type, and a
	// DPoP proof (RFC 9449 §4.1).
	corsAllowHeaders = "Authorization, Content-Type, DPoP"
	// corsExposeHeaders are the response headers a single-page app reads
	// beyond the CORS-safelisted ones: the challenge of a refused token
	// (RFC 6750 §3, RFC 9449 §7.1) and a DPoP nonce (RFC 9449 §8).
	corsExposeHeaders = "WWW-Authenticate, DPoP-Nonce"
	// corsMaxAge is how long, in seconds, a browser may cache a preflight
	// answer: short, so that a client's changed redirect URIs take effect
	// soon, and below the two hours Chromium caps it at.
	corsMaxAge = "600"
	// corsMaxRequestHeaders bounds the Access-Control-Request-Headers
	// value that is parsed at all.
	corsMaxRequestHeaders = 256
)

// corsOrigins holds what a Server knows about allowed origins: the
// configured ones and, per client this Server registered, the origins of
// its redirect URIs. It is bounded by what the host registers, never by
// requests. It is safe for concurrent use.
type corsOrigins struct {
	off        bool
	configured map[string][]string // client ID → CORS.Origins
	union      map[string]bool     // every configured origin
	allow      func(origin, clientID string) bool

	mu         sync.RWMutex
	registered map[string][]string // client ID → origins of its redirect URIs
	count      map[string]int      // origin → registered clients that have it
}

// newCORSOrigins copies the checked Config.CORS.
func newCORSOrigins(c CORS) *corsOrigins {
	o := &corsOrigins{
		off:        c.Disabled,
		configured: make(map[string][]string, len(c.Origins)),
		union:      map[string]bool{},
		allow:      c.AllowOrigin,
		registered: map[string][]string{},
		count:      map[string]int{},
	}
	for id, origins := range c.Origins {
		o.configured[id] = slices.Clone(origins)
		for _, origin := range origins {
			o.union[origin] = true
		}
	}
	return o
}

// register records the redirect URIs of a client RegisterClient saved,
// replacing what an earlier registration of the same ID recorded.
func (o *corsOrigins) register(clientID string, redirectURIs []string) {
	origins := redirectOrigins(redirectURIs)
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, origin := range o.registered[clientID] {
		if o.count[origin]--; o.count[origin] == 0 {
			delete(o.count, origin)
		}
	}
	for _, origin := range origins {
		o.count[origin]++
	}
	if origins == nil {
		delete(o.registered, clientID)
	} else {
		o.registered[clientID] = origins
	}
}

// anyClient reports whether a preflight from origin is answered: some
// client allows it, or the host does (CORS.AllowOrigin with no client).
func (o *corsOrigins) anyClient(origin string) bool {
	if o.union[origin] {
		return true
	}
	o.mu.RLock()
	n := o.count[origin]
	o.mu.RUnlock()
	return n > 0 || (o.allow != nil && o.allow(origin, ""))
}

// corsClientEndpoint wraps a handler of an endpoint that a single-page app
// calls with its own client's credentials or tokens: methods are the
// methods a preflight may ask for, and clientOf returns the client ID the
// request names, or "". See [CORS].
//
// The client ID is the one the request names, authenticated or not: the
// Origin header is set by the browser, not by the page, so a page can
// read the answer (an error included) only if its origin is allowed for
// the client it named, and an origin allowed for one client learns
// nothing about another.
func (s *Server) corsClientEndpoint(methods string, clientOf func(*http.Request) string, h http.Handler) http.Handler {
	if s.cors.off {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		origin, ok := requestOrigin(r)
		if isPreflight(r) {
			hdr.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
			if why := s.refusePreflight(r, methods, origin, ok); why != "" {
				s.log.DebugContext(r.Context(), "authserver: CORS preflight refused",
					slog.String("path", r.URL.Path), slog.String("reason", why))
				w.WriteHeader(http.StatusForbidden)
				return
			}
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Allow-Methods", methods)
			hdr.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			hdr.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		hdr.Add("Vary", "Origin")
		if ok && s.clientAllowsOrigin(r, clientOf(r), origin) {
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		h.ServeHTTP(w, r)
	})
}

// refusePreflight says why a preflight for an endpoint that takes methods
// is refused, or "" when it is answered. wellFormed tells whether its
// Origin is a single well-formed origin.
func (s *Server) refusePreflight(r *http.Request, methods, origin string, wellFormed bool) string {
	switch {
	case !wellFormed:
		return "origin is null or malformed"
	case !allowedMethod(methods, r.Header.Get("Access-Control-Request-Method")):
		return "method not allowed"
	case !allowedRequestHeaders(r.Header.Values("Access-Control-Request-Headers")):
		return "request headers not allowed"
	case !s.cors.anyClient(origin):
		return "origin allowed for no client"
	}
	return ""
}

// clientAllowsOrigin reports whether origin is allowed for the client
// clientID, which must exist: by its redirect URIs, Config.CORS.Origins or
// Config.CORS.AllowOrigin. A store failure allows nothing.
func (s *Server) clientAllowsOrigin(r *http.Request, clientID, origin string) bool {
	if clientID == "" || !vschar(clientID) {
		return false
	}
	c, err := s.store.Client(r.Context(), clientID)
	if err != nil {
		return false
	}
	return slices.Contains(redirectOrigins(c.RedirectURIs), origin) ||
		slices.Contains(s.cors.configured[clientID], origin) ||
		(s.cors.allow != nil && s.cors.allow(origin, clientID))
}

// corsPublic wraps a public document (metadata, JWK Set), which any
// origin may read: Access-Control-Allow-Origin: * (Fetch §3.2.3), on the
// document and on a preflight for GET or HEAD.
func (s *Server) corsPublic(h http.Handler) http.Handler {
	if s.cors.off {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		if isPreflight(r) {
			if !allowedMethod("GET, HEAD", r.Header.Get("Access-Control-Request-Method")) {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			hdr.Set("Access-Control-Allow-Origin", "*")
			hdr.Set("Access-Control-Allow-Methods", "GET, HEAD")
			hdr.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		hdr.Set("Access-Control-Allow-Origin", "*")
		h.ServeHTTP(w, r)
	})
}

// corsToken wraps the token endpoint, its refresh aliases and the
// revocation endpoint, whose client is named by its credentials.
func (s *Server) corsToken(h http.Handler) http.Handler {
	return s.corsClientEndpoint(http.MethodPost, credentialsClientID, h)
}

// corsUserInfo wraps the UserInfo endpoint, whose client is the one its
// access token was issued to.
func (s *Server) corsUserInfo(h http.Handler) http.Handler {
	return s.corsClientEndpoint("GET, POST", s.tokenClientID, h)
}

// credentialsClientID returns the client a token or revocation request
// names, as presentedClientID does once the form is parsed: the Basic
// user name, else the body's single client_id. Any other Authorization
// header names no client.
func credentialsClientID(r *http.Request) string {
	if authz := r.Header.Values("Authorization"); len(authz) > 0 {
		if id, _, ok, err := parseBasicAuth(authz[0]); len(authz) == 1 && ok && err == nil {
			return id
		}
		return ""
	}
	if ids := peekForm(r)["client_id"]; len(ids) == 1 {
		return ids[0]
	}
	return ""
}

// tokenClientID returns the client of the access token a UserInfo request
// presents (Bearer or DPoP in the Authorization header, or access_token
// in a POST body, RFC 6750 §2), or "" when there is none or it is not
// valid: one more hash and store lookup, only for cross-origin requests.
func (s *Server) tokenClientID(r *http.Request) string {
	token := ""
	authz := r.Header.Values("Authorization")
	switch {
	case len(authz) == 1:
		scheme, value, ok := strings.Cut(authz[0], " ")
		if ok && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "DPoP")) {
			token = strings.TrimSpace(value)
		}
	case len(authz) == 0 && r.Method == http.MethodPost:
		if v := peekForm(r)["access_token"]; len(v) == 1 {
			token = v[0]
		}
	}
	if token == "" || len(token) > maxJWTLen {
		return ""
	}
	rec, err := s.accessRecord(r.Context(), token)
	if err != nil {
		return ""
	}
	return rec.ClientID
}

// peekForm returns the parameters of a POST form body without consuming
// it: it reads at most maxBodyBytes+1 bytes and puts them back in front
// of the rest, so that the endpoint reads exactly what it would have read,
// its own size limit and errors included. A body that is not a form, too
// large, or not parseable gives no parameters.
func peekForm(r *http.Request) map[string][]string {
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody || !isFormContent(r) {
		return nil
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	rest := io.Reader(r.Body)
	if err != nil {
		rest = errReader{err}
	}
	r.Body = replayBody{Reader: io.MultiReader(bytes.NewReader(buf), rest), Closer: r.Body}
	if err != nil || len(buf) > maxBodyBytes {
		return nil
	}
	vals, e := parseParams(string(buf))
	if e != nil {
		return nil
	}
	return vals
}

// replayBody is a request body read again from its first bytes.
type replayBody struct {
	io.Reader
	io.Closer
}

// errReader fails every read with err, as the body it replaces did.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// isPreflight reports whether r is a CORS-preflight request (Fetch §3.2.2):
// OPTIONS with Origin and Access-Control-Request-Method.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// requestOrigin returns the request's Origin header when it is a single,
// well-formed http or https origin; "null" (an opaque origin, Fetch
// §3.2.5) and anything malformed are not.
func requestOrigin(r *http.Request) (string, bool) {
	v := r.Header.Values("Origin")
	if len(v) != 1 || !validOrigin(v[0]) {
		return "", false
	}
	return v[0], true
}

// allowedMethod reports whether the method a preflight asks for is one of
// methods, a comma-separated list. Methods are case-sensitive (Fetch
// §2.2.1 normalizes only the standard ones, which clients send in upper
// case).
func allowedMethod(methods, method string) bool {
	for m := range strings.SplitSeq(methods, ",") {
		if strings.TrimSpace(m) == method {
			return true
		}
	}
	return false
}

// allowedRequestHeaders reports whether every header a preflight asks for
// (Access-Control-Request-Headers, Fetch §3.2.2) is in corsAllowHeaders.
// Header names are case-insensitive.
func allowedRequestHeaders(values []string) bool {
	if len(values) > 1 {
		return false
	}
	if len(values) == 0 {
		return true
	}
	if len(values[0]) > corsMaxRequestHeaders {
		return false
	}
	for name := range strings.SplitSeq(values[0], ",") {
		name = strings.TrimSpace(name)
		switch strings.ToLower(name) {
		case "authorization", "content-type", "dpop":
		case "":
			// An empty element of the list is allowed (RFC 9110 §5.6.1).
		default:
			return false
		}
	}
	return true
}
