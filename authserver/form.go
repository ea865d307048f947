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

// maxParams bounds the parameters of one request, counted on the raw
// bytes before any parsing, so that a request of many small parameters is
// refused after a scan of its bytes and never costs a map entry, a slice or
// a string per parameter. 128 leaves room for every parameter of RFC 6749,
// RFC 7636 and OpenID Connect with [policy.MaxResources] resource
// indicators, and for a consent form with [policy.MaxScopes] scopes.
const maxParams = 128

// form is a parsed request body in which every parameter occurs at most once
// (RFC 6749 §3.1, §3.2: "Request and response parameters MUST NOT be
// included more than once"), except resource, which RFC 8707 §2 lets a
// request repeat.
type form struct {
	values   map[string]string
	resource []string
}

// get returns the value of key, or "". The resource parameter is not here;
// see resources.
func (f form) get(key string) string { return f.values[key] }

// resources returns the RFC 8707 resource parameters as sent, one element
// per parameter; a single empty one is none. At most maxParams.
func (f form) resources() []string { return f.resource }

// has reports whether key was sent, even with an empty value.
func (f form) has(key string) bool {
	_, ok := f.values[key]
	return ok
}

// parsePostForm reads an application/x-www-form-urlencoded body of at most
// maxBodyBytes, rejecting repeated parameters and invalid UTF-8. The token,
// revocation and introspection endpoints take their parameters from the
// body only; see parsePostFormValues for the query.
func parsePostForm(w http.ResponseWriter, r *http.Request) (form, *Error) {
	vals, e := parsePostFormValues(w, r)
	if e != nil {
		return form{}, e
	}
	return singleValues(vals)
}

// parsePostFormValues reads the body of a POST endpoint that takes its
// parameters from the body only, keeping repeated parameters. Parameters
// in the query string are ignored, but one that is also in the body is
// invalid_request: two values for one parameter are never resolved by
// picking one (RFC 6749 §3.1, §3.2).
func parsePostFormValues(w http.ResponseWriter, r *http.Request) (url.Values, *Error) {
	vals, e := readForm(w, r)
	if e != nil {
		return nil, e
	}
	if r.URL.RawQuery == "" {
		return vals, nil
	}
	query, e := parseParams(r.URL.RawQuery)
	if e != nil {
		return nil, e
	}
	for k := range query {
		if _, ok := vals[k]; ok {
			return nil, oauthError(CodeInvalidRequest, "a parameter is in both the query and the body")
		}
	}
	return vals, nil
}

// readForm reads an application/x-www-form-urlencoded body of at most
// maxBodyBytes and maxParams parameters. Repeated parameters are kept.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *Error) {
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
	return parseParams(string(body))
}

// parseParams parses a query string or form body of at most maxParams
// parameters. The count comes first, from the separators alone, so a
// request with more costs one scan of its bytes.
func parseParams(raw string) (url.Values, *Error) {
	if strings.Count(raw, "&") >= maxParams {
		return nil, oauthError(CodeInvalidRequest, "too many parameters")
	}
	vals, err := url.ParseQuery(raw)
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

// singleValues flattens vals, refusing repeated keys other than resource,
// and invalid UTF-8.
func singleValues(vals url.Values) (form, *Error) {
	f := form{values: make(map[string]string, len(vals))}
	for k, vs := range vals {
		if len(vs) != 1 && k != "resource" {
			return form{}, oauthError(CodeInvalidRequest, "a parameter is repeated")
		}
		for _, v := range vs {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return form{}, oauthError(CodeInvalidRequest, "parameters must be UTF-8")
			}
		}
		switch {
		case k != "resource":
			f.values[k] = vs[0]
		case len(vs) > 1 || vs[0] != "":
			f.resource = vs
		}
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
