package authserver

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxBodyBytes caps the body of every POST endpoint.
const maxBodyBytes = 64 << 10

// form is a parsed request body in which every parameter occurs at most once
// (RFC 6749 §3.1, §3.2: "Request and response parameters MUST NOT be
// included more than once").
type form map[string]string

// get returns the value of key, or "".
func (f form) get(key string) string { return f[key] }

// resources returns the RFC 8707 resource parameters, the one parameter that
// may be repeated. URIs contain no spaces, so they are kept space-joined.
func (f form) resources() []string {
	if f["resource"] == "" {
		return nil
	}
	return strings.Split(f["resource"], " ")
}

// has reports whether key was sent, even with an empty value.
func (f form) has(key string) bool {
	_, ok := f[key]
	return ok
}

// parsePostForm reads an application/x-www-form-urlencoded body of at most
// maxBodyBytes, rejecting repeated parameters and invalid UTF-8. Parameters
// in the query string are ignored: the token, revocation and introspection
// endpoints take them from the body only.
func parsePostForm(w http.ResponseWriter, r *http.Request) (form, *Error) {
	vals, e := parsePostFormValues(w, r)
	if e != nil {
		return nil, e
	}
	return singleValues(vals)
}

// parsePostFormValues reads an application/x-www-form-urlencoded body of at
// most maxBodyBytes. Repeated parameters are kept.
func parsePostFormValues(w http.ResponseWriter, r *http.Request) (url.Values, *Error) {
	if !isFormContent(r) {
		return nil, oauthError(CodeInvalidRequest, "content type must be application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, oauthError(CodeInvalidRequest, "request body too large")
		}
		return nil, oauthError(CodeInvalidRequest, "could not read request body")
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oauthError(CodeInvalidRequest, "malformed parameters")
	}
	return vals, nil
}

// vschar reports whether s is made of visible ASCII characters and spaces
// only (%x20-7E), the syntax RFC 6749 Appendix A gives client_id,
// client_secret and state. Checking it at the edge keeps control characters,
// which some databases refuse, away from every store.
func vschar(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// validRequestID reports whether id has the shape of a pending request ID
// (43 base64url characters), so that nothing else is looked up.
func validRequestID(id string) bool {
	return len(id) == 43 && validPKCEValue(id) && !strings.ContainsAny(id, ".~")
}

// isFormContent reports whether r has a form body.
func isFormContent(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// singleValues flattens vals, refusing repeated keys and invalid UTF-8.
func singleValues(vals url.Values) (form, *Error) {
	f := make(form, len(vals))
	for k, vs := range vals {
		if len(vs) != 1 && k != "resource" {
			return nil, oauthError(CodeInvalidRequest, "a parameter is repeated")
		}
		for _, v := range vs {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, oauthError(CodeInvalidRequest, "parameters must be UTF-8")
			}
		}
		f[k] = strings.Join(vs, " ")
	}
	return f, nil
}

// requirePost answers 405 with Allow: POST for any other method.
func requirePost(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", http.MethodPost)
	writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: CodeInvalidRequest, ErrorDescription: "method must be POST"})
	return false
}
