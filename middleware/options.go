package middleware

import (
	"errors"
	"log/slog"
	"net/http"
)

// DefaultMaxTokenLength is the longest token [Authenticate] passes to its
// Verifier when [Options.MaxTokenLength] is zero. It fits opaque tokens and
// signed JWT access tokens with room to spare.
const DefaultMaxTokenLength = 4096

// Options configures [AuthenticateWithOptions], [RequireScopeWithOptions]
// and [RequireAnyScopeWithOptions]. The zero value is the configuration
// [Authenticate] and [RequireScope] use: no realm, header tokens only, a
// 4096-byte cap and the [DefaultErrorHandler].
type Options struct {
	// Realm is sent as the realm attribute of every challenge (RFC 6750 §3,
	// RFC 9110 §11.5). Empty omits the attribute. It must not contain
	// control characters; quotes and backslashes are escaped.
	Realm string

	// AllowQueryToken also accepts the token in the access_token URI query
	// parameter (RFC 6750 §2.3). Off by default, because URIs end up in logs
	// and Referer headers. When off, such a parameter is ignored entirely.
	// When on, a request that sends the token both in the header and in the
	// query, or twice in the query, gets 400 invalid_request (RFC 6750 §2).
	AllowQueryToken bool

	// AllowFormToken also accepts the token in an access_token parameter of
	// an application/x-www-form-urlencoded request body (RFC 6750 §2.2) on
	// methods other than GET and HEAD. Off by default. When on, Authenticate
	// calls [net/http.Request.ParseForm], which consumes the body; handlers
	// then read the form through r.PostForm or r.FormValue. When off, the
	// body is never read, so a token in it is neither used nor detected.
	AllowFormToken bool

	// MaxTokenLength is the longest token, in bytes, passed to the Verifier;
	// a longer one is refused with 401 invalid_token without any
	// verification work. Zero means [DefaultMaxTokenLength]; negative is an
	// error.
	MaxTokenLength int

	// ErrorHandler writes the response for a refused request. When it runs,
	// the WWW-Authenticate header (for 400, 401 and 403) and
	// Cache-Control: no-store are already set; it must write e.Status and may
	// choose the body. Nil means [DefaultErrorHandler]. The next handler is
	// never called for a refused request, whatever ErrorHandler does.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, e *Error)

	// Logger receives refusals: system failures at Error level, a missing
	// Authenticate in front of RequireScope at Warn, token rejections at
	// Debug. Tokens are never logged. Nil discards everything.
	Logger *slog.Logger
}

// normalize validates o and fills in its defaults.
func (o Options) normalize() (Options, error) {
	if !validAttrValue(o.Realm) {
		return o, errors.New("middleware: realm contains a control character")
	}
	switch {
	case o.MaxTokenLength < 0:
		return o, errors.New("middleware: negative MaxTokenLength")
	case o.MaxTokenLength == 0:
		o.MaxTokenLength = DefaultMaxTokenLength
	}
	if o.ErrorHandler == nil {
		o.ErrorHandler = DefaultErrorHandler
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
