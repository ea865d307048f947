package middleware

import (
	"context"
	"slices"
	"time"
)

// TokenInfo describes a verified OAuth 2.0 access token: who it was issued
// to and what it grants. It is a value; the fields mirror the RFC 7662 §2.2
// introspection response and the RFC 9068 §2.2 JWT access token claims.
//
// A TokenInfo obtained from a request context is shared by everything that
// handles the request: treat its slices as read-only.
type TokenInfo struct {
	// Subject is the resource owner the token was issued for ("sub"). It is
	// empty for a token from the client_credentials grant (RFC 6749 §4.4),
	// which acts for the client itself.
	Subject string
	// ClientID is the client the token was issued to ("client_id").
	ClientID string
	// Scopes are the granted scope tokens (RFC 6749 §3.3), one per element.
	Scopes []string
	// Audience lists the resource servers the token is meant for ("aud").
	Audience []string
	// ExpiresAt is when the token stops being valid ("exp"). The zero time
	// means the verifier did not say.
	ExpiresAt time.Time
	// IssuedAt is when the token was issued ("iat"); zero when unknown.
	IssuedAt time.Time
}

// HasScope reports whether the token was granted scope. Scope tokens are
// compared exactly and case-sensitively, as RFC 6749 §3.3 requires.
func (t TokenInfo) HasScope(scope string) bool {
	return slices.Contains(t.Scopes, scope)
}

// clone returns a copy of t that shares no backing arrays with t, so a cached
// TokenInfo cannot be changed through a copy handed to a request.
func (t TokenInfo) clone() TokenInfo {
	t.Scopes = slices.Clone(t.Scopes)
	t.Audience = slices.Clone(t.Audience)
	return t
}

// tokenInfoKey is the context key under which [Authenticate] stores the
// TokenInfo. Being an unexported type, no other package can collide with it.
type tokenInfoKey struct{}

// ContextWithTokenInfo returns a copy of ctx that carries info, which
// [TokenInfoFromContext] returns. [Authenticate] uses it; it is exported for
// tests and for hosts that verify tokens their own way before calling
// [RequireScope].
func ContextWithTokenInfo(ctx context.Context, info TokenInfo) context.Context {
	return context.WithValue(ctx, tokenInfoKey{}, &info)
}

// TokenInfoFromContext returns the TokenInfo that [Authenticate] stored in ctx
// and true, or the zero TokenInfo and false when ctx carries none (the request
// did not pass through Authenticate).
func TokenInfoFromContext(ctx context.Context) (TokenInfo, bool) {
	p, ok := ctx.Value(tokenInfoKey{}).(*TokenInfo)
	if !ok || p == nil {
		return TokenInfo{}, false
	}
	return *p, true
}
