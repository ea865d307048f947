package authserver

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/kunci/kunci/internal/policy"
)

// noStore sets the headers that keep token responses out of caches
// (RFC 6749 §5.1, §5.2).
func noStore(h http.Header) {
	// One backing array for both values instead of one slice per Set
	// (BenchmarkTokenClientCredentials); each slice's capacity ends at its
	// value, so an append to one cannot overwrite the other.
	v := [...]string{"no-store", "no-cache"}
	h["Cache-Control"] = v[0:1:1]
	h["Pragma"] = v[1:2:2]
}

// jsonNoStore sets the Content-Type of a JSON response and the headers of
// noStore, with one allocation for the three.
func jsonNoStore(h http.Header) {
	v := [...]string{"application/json;charset=UTF-8", "no-store", "no-cache"}
	h["Content-Type"] = v[0:1:1]
	h["Cache-Control"] = v[1:2:2]
	h["Pragma"] = v[2:3:3]
}

// writeJSON writes v as a JSON response with no-store caching headers.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own response types reach here; they always marshal.
		status, body = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	jsonNoStore(w.Header())
	w.WriteHeader(status)
	w.Write(body)
}

// errorBody is the JSON error response of RFC 6749 §5.2.
type errorBody struct {
	Error            ErrorCode `json:"error"`
	ErrorDescription string    `json:"error_description,omitempty"`
}

// writeError logs err and writes it as a JSON error response. Server errors
// are logged at Error level with their cause; client mistakes at Debug.
func (s *Server) writeError(ctx context.Context, w http.ResponseWriter, err error) {
	e := asError(err)
	s.logError(ctx, e)
	if e.HTTPStatus() == http.StatusUnauthorized {
		// RFC 9110 §15.5.2: every 401 carries a challenge; Basic needs a
		// realm (RFC 7617 §2). RFC 6749 §5.2 names Basic for invalid_client.
		w.Header().Set("WWW-Authenticate", `Basic realm="`+s.realm+`", charset="UTF-8"`)
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.HTTPStatus(), errorBody{Error: e.Code, ErrorDescription: policy.ErrorDescription(e.Description)})
}

func (s *Server) logError(ctx context.Context, e *Error) {
	level := slog.LevelDebug
	switch status := e.HTTPStatus(); {
	case status >= 500:
		level = slog.LevelError
	case status == http.StatusTooManyRequests:
		level = slog.LevelWarn
	}
	s.log.Log(ctx, level, "authserver: request failed", slog.Any("error", e))
}

// postEndpoint gives the token, revocation and introspection endpoints their
// shared shape: POST only, a strict form body (see parsePostForm), and one
// error writer. run returns the JSON body of a 200 answer; nil means an
// empty body.
func (s *Server) postEndpoint(run func(r *http.Request, f form) ([]byte, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !requirePost(w, r) {
			return
		}
		ctx := r.Context()
		f, e := parsePostForm(w, r)
		if e != nil {
			s.writeError(ctx, w, e)
			return
		}
		body, err := run(r, f)
		if err != nil {
			s.writeError(ctx, w, err)
			return
		}
		if body != nil {
			jsonNoStore(w.Header())
		} else {
			noStore(w.Header())
		}
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
}

// staticDocument serves a public document computed at New (metadata, JWKS)
// to GET and HEAD.
func staticDocument(contentType string, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: CodeInvalidRequest, ErrorDescription: "method must be GET"})
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(body)
	})
}
