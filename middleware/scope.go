package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// RequireScope returns middleware that lets a request through only when the
// [TokenInfo] in its context (put there by [Authenticate]) holds every one of
// scopes. A token lacking one gets 403 with
// WWW-Authenticate: Bearer error="insufficient_scope", scope="<scopes>"
// (RFC 6750 §3.1). With no scopes, any authenticated request passes.
//
// A request without a TokenInfo, because Authenticate is missing in front of
// it, gets 401 and is not passed on: forgetting Authenticate fails closed.
//
// A scope that is not a valid RFC 6749 §3.3 scope-token (empty, or with a
// space, quote, backslash or control character) can never be satisfied, so
// every authenticated request gets 403; [RequireScopeWithOptions] reports
// such a scope as an error instead.
func RequireScope(scopes ...string) func(http.Handler) http.Handler {
	return newScopeChecker(Options{}, scopes, false).middleware
}

// RequireAnyScope is like [RequireScope] but lets the request through when
// the token holds at least one of scopes. The 403 challenge lists all of
// them in its scope attribute. With no scopes nothing can satisfy it, and
// every authenticated request gets 403.
func RequireAnyScope(scopes ...string) func(http.Handler) http.Handler {
	return newScopeChecker(Options{}, scopes, true).middleware
}

// RequireScopeWithOptions is [RequireScope] with the realm, error handler and
// logger of opts (the token-extraction fields of [Options] do not apply). It
// returns an error when opts is invalid or a scope is not a valid RFC 6749
// §3.3 scope-token.
func RequireScopeWithOptions(opts Options, scopes ...string) (func(http.Handler) http.Handler, error) {
	return scopeMiddleware(opts, scopes, false)
}

// RequireAnyScopeWithOptions is [RequireAnyScope] with the realm, error
// handler and logger of opts. It returns an error when opts is invalid, when
// scopes is empty, or when a scope is not a valid RFC 6749 §3.3 scope-token.
func RequireAnyScopeWithOptions(opts Options, scopes ...string) (func(http.Handler) http.Handler, error) {
	if len(scopes) == 0 {
		return nil, errors.New("middleware: RequireAnyScope needs at least one scope")
	}
	return scopeMiddleware(opts, scopes, true)
}

func scopeMiddleware(opts Options, scopes []string, anyOf bool) (func(http.Handler) http.Handler, error) {
	for _, s := range scopes {
		if !validScopeToken(s) {
			return nil, fmt.Errorf("middleware: invalid scope %q", s)
		}
	}
	if _, err := opts.normalize(); err != nil {
		return nil, err
	}
	return newScopeChecker(opts, scopes, anyOf).middleware, nil
}

// scopeChecker holds one RequireScope configuration; it is immutable.
type scopeChecker struct {
	opts   Options
	scopes []string
	anyOf  bool
	// err is the 403 refusal, shared by every request: it is read-only.
	err *Error
}

func newScopeChecker(opts Options, scopes []string, anyOf bool) *scopeChecker {
	o, err := opts.normalize()
	if err != nil {
		// Only the exported ...WithOptions functions take caller options, and
		// they validate them first; the zero Options always normalize.
		o, _ = Options{}.normalize()
	}
	scopes = slices.Clone(scopes)
	return &scopeChecker{
		opts:   o,
		scopes: scopes,
		anyOf:  anyOf,
		err:    &Error{Status: http.StatusForbidden, Code: CodeInsufficientScope, Scope: scopes},
	}
}

func (s *scopeChecker) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, ok := TokenInfoFromContext(r.Context())
		if !ok {
			s.opts.Logger.WarnContext(r.Context(), "middleware: RequireScope reached without a TokenInfo; is Authenticate missing?")
			writeError(w, r, s.opts.Realm, s.opts.ErrorHandler, &Error{Status: http.StatusUnauthorized})
			return
		}
		if !s.allowed(info) {
			e := *s.err
			logRefusal(r, s.opts.Logger, &e)
			writeError(w, r, s.opts.Realm, s.opts.ErrorHandler, &e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *scopeChecker) allowed(info TokenInfo) bool {
	if s.anyOf {
		for _, want := range s.scopes {
			if validScopeToken(want) && info.HasScope(want) {
				return true
			}
		}
		return false
	}
	for _, want := range s.scopes {
		if !validScopeToken(want) || !info.HasScope(want) {
			return false
		}
	}
	return true
}

// validScopeToken reports whether s matches RFC 6749 §3.3:
//
//	scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
			return false
		}
	}
	return true
}
