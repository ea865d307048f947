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
	// JKT is the JWK SHA-256 thumbprint of the DPoP key the token is bound
	// to ("cnf" "jkt", RFC 9449 §6), empty for a bearer token. A Verifier
	// must report it: [Authenticate] then accepts the token only with the
	// DPoP scheme and a proof by that key, and never as a bearer token.
	JKT string
}

// HasScope reports whether the token was granted scope. Scope tokens are
// compared exactly and case-sensitively, as RFC 6749 §3.3 requires.
func (t TokenInfo) HasScope(scope string) bool {
	return slices.Contains(t.Scopes, scope)
}

// clone returns a copy of t that shares no backing arrays with t, so a cached
// TokenInfo cannot be changed through a copy handed to a request.
// Both slices share one new backing array (one allocation instead of two),
// each capped so that appending to one cannot overwrite the other.
func (t TokenInfo) clone() TokenInfo {
	if t.Scopes == nil && t.Audience == nil {
		return t
	}
	ns := len(t.Scopes)
	buf := make([]string, 0, ns+len(t.Audience))
	buf = append(append(buf, t.Scopes...), t.Audience...)
	if t.Scopes != nil {
		t.Scopes = buf[:ns:ns]
	}
	if t.Audience != nil {
		t.Audience = buf[ns:len(buf):len(buf)]
	}
	return t
}

// tokenInfoKey is the context key under which the TokenInfo is found. Being
// an unexported type, no other package can collide with it.
type tokenInfoKey struct{}

// infoContext is a context carrying a TokenInfo. It does the job of
// context.WithValue in one allocation instead of two (the value context and
// the boxed TokenInfo), which matters on every authenticated request.
// Everything but the key lookup is delegated to the parent, so cancellation
// and deadlines behave as with context.WithValue.
//
// resp is the responder of the Authenticate that verified the token, so that
// RequireScope answers with the same realm, error handler and logger; it is
// nil for a TokenInfo put there by ContextWithTokenInfo.
type infoContext struct {
	context.Context
	info TokenInfo
	resp *responder
	// dpop says the token came with the DPoP scheme, so that refusals
	// behind Authenticate challenge with DPoP.
	dpop bool
}

// Value returns the infoContext itself for tokenInfoKey and asks the parent
// for any other key.
func (c *infoContext) Value(key any) any {
	if _, ok := key.(tokenInfoKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// String describes the context without the token info, for debugging.
func (c *infoContext) String() string {
	return "middleware.ContextWithTokenInfo"
}

// ContextWithTokenInfo returns a copy of ctx that carries info, which
// [TokenInfoFromContext] returns. It is for tests and for hosts that verify
// tokens their own way before [RequireScope]; a RequireScope that finds info
// put there this way answers refusals with the zero [Options] (no realm,
// [DefaultErrorHandler], nothing logged).
func ContextWithTokenInfo(ctx context.Context, info TokenInfo) context.Context {
	return &infoContext{Context: ctx, info: info}
}

// TokenInfoFromContext returns the TokenInfo that [Authenticate] (or
// [ContextWithTokenInfo]) stored in ctx and true, or the zero TokenInfo and
// false when ctx carries none (the request did not pass through
// Authenticate).
func TokenInfoFromContext(ctx context.Context) (TokenInfo, bool) {
	c, ok := ctx.Value(tokenInfoKey{}).(*infoContext)
	if !ok {
		return TokenInfo{}, false
	}
	return c.info, true
}
