package middleware

import (
	"errors"
	"log/slog"
	"net/http"
)

// defaultMaxTokenLength is the longest token Authenticate passes to its
// Verifier when Options.MaxTokenLength is zero. It fits opaque tokens and
// signed JWT access tokens with room to spare.
const defaultMaxTokenLength = 4096

// Options configures [Authenticate]. The zero value is a working
// configuration: no realm, no audience check, tokens in the Authorization
// header only, at most 4096 bytes, refusals written by [DefaultErrorHandler]
// and nothing logged. [RequireScope] and [RequireAnyScope] behind an
// Authenticate answer with its Realm, ErrorHandler and Logger.
type Options struct {
	// Realm is sent as the realm attribute of every challenge (RFC 6750 §3,
	// RFC 9110 §11.5). Empty omits the attribute. It must not contain
	// control characters; quotes and backslashes are escaped.
	Realm string

	// Audience, when set, is the identifier of this resource server: a
	// token whose [TokenInfo.Audience] does not contain it exactly is
	// refused with 401 invalid_token, after the Verifier accepted it (RFC
	// 8707 §2, RFC 9068 §4: a resource server must refuse a token meant for
	// another one). It works with any Verifier, including the in-process
	// authorization server; a Verifier that reports no audience gets every
	// token refused. Empty means no audience check here, which is right only
	// when the Verifier checks the audience itself ([JWTConfig.Audience],
	// [IntrospectionConfig.Audience]) or the authorization server issues
	// tokens for this resource server alone.
	Audience string

	// AllowQueryToken also accepts the token in the access_token URI query
	// parameter (RFC 6750 §2.3). Off by default, because URIs end up in logs
	// and Referer headers; when off, a token there is never used. Either
	// way, a request with a token in the Authorization header and an
	// access_token query parameter gets 400 invalid_request, since a client
	// must use one method per request (RFC 6750 §2); so does one with two
	// access_token query parameters when this is on.
	AllowQueryToken bool

	// AllowFormToken also accepts the token in an access_token parameter of
	// an application/x-www-form-urlencoded request body (RFC 6750 §2.2) on
	// methods other than GET and HEAD. Off by default. When on, Authenticate
	// calls [net/http.Request.ParseForm], which consumes the body (handlers
	// then read the form through r.PostForm or r.FormValue), and a token in
	// the body beside one in the header or the query gets 400
	// invalid_request. When off, the body is never read: a token in it is
	// neither used nor detected, and the body reaches the next handler
	// untouched.
	AllowFormToken bool

	// MaxTokenLength is the longest token, in bytes, passed to the Verifier;
	// a longer one is refused with 400 invalid_request (the request is
	// malformed, RFC 6750 §3.1) without any verification work. Zero means
	// 4096 bytes; negative is an error.
	MaxTokenLength int

	// ErrorHandler writes the response for a refused request. When it runs,
	// the WWW-Authenticate header (for 400, 401 and 403) and
	// Cache-Control: no-store are already set; it must write e.Status and may
	// choose the body. Nil means [DefaultErrorHandler]. The next handler is
	// never called for a refused request, whatever ErrorHandler does.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, e *Error)

	// Logger receives refusals: system failures at Error level, token
	// rejections and missing scopes at Debug. Tokens are never logged. Nil
	// discards everything.
	Logger *slog.Logger

	// DPoP, when set, also accepts DPoP-bound tokens with the DPoP scheme
	// and a proof (RFC 9449 §7) and adds a DPoP challenge to refusals. Nil
	// accepts bearer tokens only. Either way a token bound to a DPoP key
	// ([TokenInfo.JKT]) is never accepted as a bearer token.
	DPoP *DPoPOptions
}

// normalize validates o and fills in its defaults.
func (o Options) normalize() (Options, error) {
	if !validAttrValue(o.Realm) {
		return o, errors.New("middleware: Options.Realm contains a control character")
	}
	switch {
	case o.MaxTokenLength < 0:
		return o, errors.New("middleware: Options.MaxTokenLength is negative")
	case o.MaxTokenLength == 0:
		o.MaxTokenLength = defaultMaxTokenLength
	}
	if o.ErrorHandler == nil {
		o.ErrorHandler = DefaultErrorHandler
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// responder answers the requests one Authenticate refuses, and those the
// RequireScope behind it refuses: the realm, error handler and logger of its
// Options. It is immutable once built.
type responder struct {
	realm  string
	handle func(http.ResponseWriter, *http.Request, *Error)
	log    *slog.Logger
	// dpopAlgs, when set, adds a DPoP challenge with these algs (RFC 9449
	// §7.1); noBearer leaves the Bearer challenge out.
	dpopAlgs string
	noBearer bool
}

// defaultResponder answers with the zero Options: no realm,
// DefaultErrorHandler, nothing logged.
func defaultResponder() responder {
	return responder{handle: DefaultErrorHandler, log: slog.New(slog.DiscardHandler)}
}

// refuse logs e at a level that fits it and writes the refusal.
func (p *responder) refuse(w http.ResponseWriter, r *http.Request, e *Error) {
	logRefusal(r, p.log, e)
	writeError(w, r, p, e)
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
