package middleware

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/kunci/kunci/internal/policy"
)

// RequireScope returns middleware that lets a request through only when the
// [TokenInfo] in its context, put there by [Authenticate], holds every one
// of scopes. A token lacking one gets 403 with
// WWW-Authenticate: Bearer error="insufficient_scope", scope="<scopes>"
// (RFC 6750 §3.1). With no scopes, any authenticated request passes. Scope
// tokens are compared exactly and case-sensitively (RFC 6749 §3.3).
//
// Refusals are answered with the realm, [Options.ErrorHandler] and
// [Options.Logger] of the Authenticate in front. A request without a
// TokenInfo, because Authenticate is missing in front, gets 401 with the
// zero [Options] and a warning on [slog.Default] (there is no Authenticate
// whose Logger could take it), and is not passed on: forgetting Authenticate
// fails closed.
//
// It returns an error, and no middleware, when a scope is not an RFC 6749
// §3.3 scope-token (empty, or with a space, quote, backslash, control or
// non-ASCII character), since no token could ever satisfy it.
func RequireScope(scopes ...string) (func(http.Handler) http.Handler, error) {
	return newScopeChecker("RequireScope", scopes, false)
}

// RequireAnyScope is like [RequireScope] but lets the request through when
// the token holds at least one of scopes. The 403 challenge lists all of
// them in its scope attribute. It returns an error when scopes is empty,
// which nothing could satisfy, or when one is not an RFC 6749 §3.3
// scope-token.
func RequireAnyScope(scopes ...string) (func(http.Handler) http.Handler, error) {
	if len(scopes) == 0 {
		return nil, errors.New("middleware: RequireAnyScope needs at least one scope")
	}
	return newScopeChecker("RequireAnyScope", scopes, true)
}

// scopeChecker holds one RequireScope or RequireAnyScope configuration; it
// is immutable and so safe for concurrent use.
type scopeChecker struct {
	name   string
	scopes []string
	anyOf  bool
	// fallback answers when no Authenticate put its responder in the
	// context.
	fallback responder
	// err is the 403 refusal, copied for every request: it is read-only.
	err *Error
}

func newScopeChecker(name string, scopes []string, anyOf bool) (func(http.Handler) http.Handler, error) {
	for _, s := range scopes {
		if !policy.ValidScopeToken(s) {
			return nil, fmt.Errorf("middleware: %s: invalid scope %q", name, s)
		}
	}
	scopes = slices.Clone(scopes)
	s := &scopeChecker{
		name:     name,
		scopes:   scopes,
		anyOf:    anyOf,
		fallback: defaultResponder(),
		err:      &Error{Status: http.StatusForbidden, Code: CodeInsufficientScope, Scope: scopes},
	}
	return s.middleware, nil
}

func (s *scopeChecker) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		c, ok := ctx.Value(tokenInfoKey{}).(*infoContext)
		if !ok {
			slog.Default().WarnContext(ctx, "middleware: "+s.name+" reached without a TokenInfo; is Authenticate missing in front of it?")
			s.fallback.refuse(w, r, &Error{Status: http.StatusUnauthorized})
			return
		}
		if s.allowed(c.info) {
			next.ServeHTTP(w, r)
			return
		}
		resp := c.resp
		if resp == nil {
			resp = &s.fallback
		}
		e := *s.err
		e.DPoP = c.dpop
		resp.refuse(w, r, &e)
	})
}

func (s *scopeChecker) allowed(info TokenInfo) bool {
	if s.anyOf {
		for _, want := range s.scopes {
			if info.HasScope(want) {
				return true
			}
		}
		return false
	}
	for _, want := range s.scopes {
		if !info.HasScope(want) {
			return false
		}
	}
	return true
}
