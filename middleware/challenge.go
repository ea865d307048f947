package middleware

import (
	"net/http"
	"strings"

	"github.com/kunci/kunci/internal/policy"
)

// Error codes of RFC 6750 §3.1, sent in the error attribute of the
// WWW-Authenticate response header.
const (
	// CodeInvalidRequest: the request is malformed, for example a broken
	// Authorization header or more than one way of sending the token. 400.
	CodeInvalidRequest = "invalid_request"
	// CodeInvalidToken: the token is expired, revoked, malformed or
	// otherwise invalid. 401.
	CodeInvalidToken = "invalid_token"
	// CodeInsufficientScope: the token lacks the scope the resource needs.
	// 403, with a scope attribute listing it.
	CodeInsufficientScope = "insufficient_scope"
)

// Error describes a request the middleware refused. It is what an
// [Options.ErrorHandler] receives. Apart from Err, every field is safe to
// show to the client.
type Error struct {
	// Status is the HTTP status: 400, 401 or 403 as RFC 6750 §3.1 assigns
	// them, or 503 when the Verifier could not check the token at all.
	Status int
	// Code is the RFC 6750 §3.1 error code (one of the Code constants), or
	// empty for a request that carried no bearer token (RFC 6750 §3.1: "the
	// resource server SHOULD NOT include an error code") and for system
	// failures.
	Code string
	// Description is a short, fixed, human-readable explanation, or empty.
	Description string
	// Scope lists the scope tokens the resource requires; set only with
	// CodeInsufficientScope.
	Scope []string
	// Err is the internal cause, such as a Verifier's system error. It is
	// logged, never sent to the client.
	Err error
	// DPoP reports a refusal of a request that used the DPoP scheme: the
	// error goes in the DPoP challenge, not the Bearer one (RFC 9449 §7.1).
	DPoP bool
	// Nonce, when set, is sent in the DPoP-Nonce header (RFC 9449 §9).
	Nonce string
}

// Error returns a one-line summary for logs, without any token.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("middleware: ")
	if e.Code != "" {
		b.WriteString(e.Code)
	} else {
		b.WriteString(strings.ToLower(http.StatusText(e.Status)))
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// challenge returns the WWW-Authenticate value of RFC 6750 §3 for e, or ""
// when e is a system failure that carries no challenge. The error
// attributes are left to the DPoP challenge when e.DPoP is set.
func (e *Error) challenge(realm string) string {
	return e.schemeChallenge("Bearer", realm, "", !e.DPoP)
}

// dpopChallenge returns the WWW-Authenticate: DPoP value of RFC 9449 §7.1
// for e, with the accepted algs, or "" for a system failure. It carries
// the error attributes when e.DPoP is set.
func (e *Error) dpopChallenge(realm, algs string) string {
	return e.schemeChallenge("DPoP", realm, algs, e.DPoP)
}

// schemeChallenge writes a challenge of scheme; detail adds error,
// error_description and scope.
func (e *Error) schemeChallenge(scheme, realm, algs string, detail bool) string {
	switch e.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
	default:
		return ""
	}
	var b strings.Builder
	b.WriteString(scheme)
	sep := " "
	attr := func(name, value string) {
		b.WriteString(sep)
		b.WriteString(name)
		b.WriteString(`="`)
		writeQuoted(&b, value)
		b.WriteByte('"')
		sep = ", "
	}
	if realm != "" {
		attr("realm", realm)
	}
	if algs != "" {
		attr("algs", algs)
	}
	if !detail {
		return b.String()
	}
	if e.Code != "" {
		attr("error", e.Code)
	}
	if e.Description != "" {
		attr("error_description", policy.ErrorDescription(e.Description))
	}
	if len(e.Scope) > 0 {
		attr("scope", strings.Join(e.Scope, " "))
	}
	return b.String()
}

// writeQuoted writes s as the content of an RFC 9110 §5.6.4 quoted-string:
// a double quote or backslash gets a backslash before it, and control
// characters other than HTAB, which a quoted-string cannot hold, are dropped.
func writeQuoted(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t' || (c >= 0x20 && c != 0x7f):
			b.WriteByte(c)
		}
	}
}

// validAttrValue reports whether s can be sent in a challenge attribute
// unchanged apart from quoting: it contains no control characters.
func validAttrValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// writeError sends e: it sets the RFC 6750 §3 WWW-Authenticate challenge (for
// 400, 401 and 403), and the DPoP one of RFC 9449 §7.1 when p accepts DPoP,
// the DPoP-Nonce header when e has a nonce, and Cache-Control: no-store,
// then lets p's handler write the status and body.
func writeError(w http.ResponseWriter, r *http.Request, p *responder, e *Error) {
	h := w.Header()
	h.Del("WWW-Authenticate")
	if c := e.challenge(p.realm); c != "" && !p.noBearer {
		h.Add("WWW-Authenticate", c)
	}
	if p.dpopAlgs != "" {
		if c := e.dpopChallenge(p.realm, p.dpopAlgs); c != "" {
			h.Add("WWW-Authenticate", c)
		}
	}
	if e.Nonce != "" {
		h.Set("DPoP-Nonce", e.Nonce)
	}
	h.Set("Cache-Control", "no-store")
	p.handle(w, r, e)
}

// DefaultErrorHandler is the [Options.ErrorHandler] used when none is set.
// It writes e.Status with a one-line text/plain body: the error code, or the
// status text when there is none (RFC 6750 §3 puts the details in the
// WWW-Authenticate header, which is already set when it runs).
func DefaultErrorHandler(w http.ResponseWriter, _ *http.Request, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	body := e.Code
	if body == "" {
		body = http.StatusText(e.Status)
	}
	_, _ = w.Write([]byte(body + "\n"))
}
