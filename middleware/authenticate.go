package middleware

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
)

// Authenticate returns middleware that requires a valid bearer access token
// (RFC 6750) on every request. It reads the token from the Authorization
// request header field only (RFC 6750 §2.1), checks it with v, and calls the
// next handler with the [TokenInfo] in the request context, where
// [TokenInfoFromContext] finds it.
//
// It fails closed: the next handler is never called without a verified
// token. Refusals follow RFC 6750 §3 and always carry Cache-Control: no-store:
//
//   - no bearer token: 401 with WWW-Authenticate: Bearer and no error code;
//   - a malformed Authorization header, or more than one: 400
//     error="invalid_request";
//   - a token v rejects (an error wrapping [ErrInvalidToken]) or a token
//     longer than [DefaultMaxTokenLength]: 401 error="invalid_token";
//   - any other error from v (a system failure): 503 with no challenge and
//     nothing about the token.
//
// A nil v answers every request with 500. Use [AuthenticateWithOptions] for a
// realm, query or form tokens, another length cap or another error body.
func Authenticate(v Verifier) func(http.Handler) http.Handler {
	a := &authenticator{v: v}
	a.opts, _ = Options{}.normalize() // the zero Options are always valid
	return a.middleware
}

// AuthenticateWithOptions is [Authenticate] configured by opts. It returns an
// error, and no middleware, when v is nil or opts is invalid, so bad
// configuration fails at start-up rather than on each request.
func AuthenticateWithOptions(v Verifier, opts Options) (func(http.Handler) http.Handler, error) {
	if v == nil {
		return nil, errors.New("middleware: nil Verifier")
	}
	o, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	a := &authenticator{v: v, opts: o}
	return a.middleware, nil
}

// authenticator holds one Authenticate configuration; it is immutable once
// built and so safe for concurrent use.
type authenticator struct {
	v    Verifier
	opts Options
}

func (a *authenticator) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, next)
	})
}

func (a *authenticator) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if a.v == nil {
		a.fail(w, r, &Error{Status: http.StatusInternalServerError, Err: errors.New("middleware: Authenticate built with a nil Verifier")})
		return
	}
	token, e := a.extract(r)
	if e != nil {
		a.fail(w, r, e)
		return
	}
	if len(token) > a.opts.MaxTokenLength {
		a.fail(w, r, &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Err: errors.New("middleware: token longer than MaxTokenLength")})
		return
	}
	ctx := r.Context()
	info, err := a.v.VerifyAccessToken(ctx, token)
	switch {
	case errors.Is(err, ErrInvalidToken):
		a.fail(w, r, &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Err: err})
		return
	case err != nil:
		a.fail(w, r, &Error{Status: http.StatusServiceUnavailable, Err: err})
		return
	}
	next.ServeHTTP(w, r.WithContext(ContextWithTokenInfo(ctx, info)))
}

// extract finds the one bearer token of r (RFC 6750 §2). It returns "" and a
// nil *Error when r carries none.
func (a *authenticator) extract(r *http.Request) (string, *Error) {
	var token string
	found := false
	switch vals := r.Header["Authorization"]; len(vals) {
	case 0:
	case 1:
		t, res := parseBearer(vals[0])
		switch res {
		case bearerMalformed:
			return "", malformed("malformed Authorization header")
		case bearerOK:
			token, found = t, true
		}
	default:
		return "", malformed("more than one Authorization header")
	}
	if a.opts.AllowQueryToken && strings.Contains(r.URL.RawQuery, "access_token") {
		vals := r.URL.Query()["access_token"]
		switch {
		case len(vals) == 0:
		case len(vals) > 1 || found:
			return "", malformed("more than one access token in the request")
		case !isB64token(vals[0]):
			return "", malformed("malformed access_token parameter")
		default:
			token, found = vals[0], true
		}
	}
	if a.opts.AllowFormToken && hasFormBody(r) {
		if err := r.ParseForm(); err != nil {
			return "", malformed("unreadable form body")
		}
		vals := r.PostForm["access_token"]
		switch {
		case len(vals) == 0:
		case len(vals) > 1 || found:
			return "", malformed("more than one access token in the request")
		case !isB64token(vals[0]):
			return "", malformed("malformed access_token parameter")
		default:
			token, found = vals[0], true
		}
	}
	if !found {
		return "", &Error{Status: http.StatusUnauthorized}
	}
	return token, nil
}

// hasFormBody reports whether r may carry the token in its body under the
// conditions of RFC 6750 §2.2: a single-part form-encoded body and a method
// whose body has defined semantics (not GET or HEAD).
func hasFormBody(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}

func malformed(desc string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Description: desc}
}

// fail logs e at a level that fits it and writes the refusal.
func (a *authenticator) fail(w http.ResponseWriter, r *http.Request, e *Error) {
	logRefusal(r, a.opts.Logger, e)
	writeError(w, r, a.opts.Realm, a.opts.ErrorHandler, e)
}

// logRefusal logs e: system failures at Error level, everything else at
// Debug. It never logs a token.
func logRefusal(r *http.Request, l *slog.Logger, e *Error) {
	ctx := r.Context()
	if e.Status >= 500 {
		l.ErrorContext(ctx, "middleware: cannot verify access token", "status", e.Status, "err", e.Err)
		return
	}
	if l.Enabled(ctx, slog.LevelDebug) {
		l.DebugContext(ctx, "middleware: request refused", "status", e.Status, "error", e.Code, "err", e.Err)
	}
}
