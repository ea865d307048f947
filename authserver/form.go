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
//
// The parameters are a list, not a map: a request has a handful, so a scan
// is cheaper than hashing, and maxParams bounds the duplicate check
// (BenchmarkTokenClientCredentials, BenchmarkTokenRequestWorstCase).
type form struct {
	params   []param
	resource []string
}

// param is one parameter of a form.
type param struct{ key, value string }

// get returns the value of key, or "". The resource parameter is not here;
// see resources.
func (f form) get(key string) string {
	v, _ := f.lookup(key)
	return v
}

// lookup returns the value of key and whether it was sent.
func (f form) lookup(key string) (string, bool) {
	for _, p := range f.params {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

// resources returns the RFC 8707 resource parameters as sent, one element
// per parameter; a single empty one is none. At most maxParams.
func (f form) resources() []string { return f.resource }

// has reports whether key was sent, even with an empty value.
func (f form) has(key string) bool {
	_, ok := f.lookup(key)
	return ok
}

// parsePostForm reads an application/x-www-form-urlencoded body of at most
// maxBodyBytes, rejecting repeated parameters and invalid UTF-8. The token,
// revocation and introspection endpoints take their parameters from the
// body only: parameters in the query string are ignored, but one that is
// also in the body is invalid_request, as two values for one parameter are
// never resolved by picking one (RFC 6749 §3.1, §3.2). The body is parsed
// straight into the form, without a url.Values (BenchmarkTokenClientCredentials).
func parsePostForm(w http.ResponseWriter, r *http.Request) (form, *Error) {
	body, e := readBody(w, r)
	if e != nil {
		return form{}, e
	}
	f, resourceSent, e := parseSingleValues(body)
	if e != nil {
		return form{}, e
	}
	if e := checkQuery(r, func(k string) bool { return f.has(k) || (k == "resource" && resourceSent) }); e != nil {
		return form{}, e
	}
	return f, nil
}

// parsePostFormValues reads the body of a POST endpoint that takes its
// parameters from the body only, keeping repeated parameters, with the
// query rule of parsePostForm.
func parsePostFormValues(w http.ResponseWriter, r *http.Request) (url.Values, *Error) {
	vals, e := readForm(w, r)
	if e != nil {
		return nil, e
	}
	if e := checkQuery(r, func(k string) bool { _, ok := vals[k]; return ok }); e != nil {
		return nil, e
	}
	return vals, nil
}

// checkQuery refuses a request whose query string is malformed or has a
// parameter inBody reports the body has too.
func checkQuery(r *http.Request, inBody func(string) bool) *Error {
	if r.URL.RawQuery == "" {
		return nil
	}
	query, e := parseParams(r.URL.RawQuery)
	if e != nil {
		return e
	}
	for k := range query {
		if inBody(k) {
			return oauthError(CodeInvalidRequest, "a parameter is in both the query and the body")
		}
	}
	return nil
}

// readForm reads an application/x-www-form-urlencoded body of at most
// maxBodyBytes and maxParams parameters. Repeated parameters are kept.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *Error) {
	body, e := readBody(w, r)
	if e != nil {
		return nil, e
	}
	return parseParams(body)
}

// initialBodyBuffer bounds the buffer readBody allocates from a declared
// Content-Length, so that a header alone never costs more memory.
const initialBodyBuffer = 4 << 10

// readBody reads an application/x-www-form-urlencoded body of at most
// maxBodyBytes into one buffer sized from its Content-Length.
func readBody(w http.ResponseWriter, r *http.Request) (string, *Error) {
	if !isFormContent(r) {
		return "", oauthError(CodeInvalidRequest, "content type must be application/x-www-form-urlencoded")
	}
	size := 512
	if n := r.ContentLength; n >= 0 && n < initialBodyBuffer {
		size = int(n) + 1 // room to see io.EOF without growing
	}
	body := http.MaxBytesReader(w, r.Body, maxBodyBytes)
	buf := make([]byte, 0, size)
	for {
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return "", oauthError(CodeInvalidRequest, "request body too large")
			}
			return "", oauthError(CodeInvalidRequest, "could not read request body")
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
	return string(buf), nil
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
	ct := r.Header.Get("Content-Type")
	if strings.EqualFold(ct, "application/x-www-form-urlencoded") {
		// What almost every client sends; ParseMediaType would allocate.
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// parseSingleValues parses a form body of at most maxParams parameters
// (counted first, as parseParams does) in which no parameter but resource
// is repeated and every name and value is UTF-8. It parses as
// url.ParseQuery does: a parameter that does not decode, or has a
// semicolon, is malformed. resourceSent reports whether resource was sent
// at all, a single empty one included.
func parseSingleValues(raw string) (f form, resourceSent bool, e *Error) {
	n := strings.Count(raw, "&")
	if n >= maxParams {
		return form{}, false, oauthError(CodeInvalidRequest, "too many parameters")
	}
	f.params = make([]param, 0, n+1)
	var malformed, repeated, badUTF8 bool
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if strings.Contains(pair, ";") {
			malformed = true
			continue
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			malformed = true
			continue
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			badUTF8 = true
		}
		if k == "resource" {
			resourceSent = true
			f.resource = append(f.resource, v)
			continue
		}
		if f.has(k) {
			repeated = true
			continue
		}
		f.params = append(f.params, param{k, v})
	}
	switch {
	case malformed:
		return form{}, false, oauthError(CodeInvalidRequest, "malformed parameters")
	case repeated:
		return form{}, false, oauthError(CodeInvalidRequest, "a parameter is repeated")
	case badUTF8:
		return form{}, false, oauthError(CodeInvalidRequest, "parameters must be UTF-8")
	}
	if len(f.resource) == 1 && f.resource[0] == "" {
		f.resource = nil
	}
	return f, resourceSent, nil
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
