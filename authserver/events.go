package authserver

import "context"

// EventKind says what happened in an [Event].
type EventKind int

// The kinds of events a Server reports through Config.Hooks.Events.
const (
	// EventTokenIssued: an access token (and maybe a refresh token) was issued.
	EventTokenIssued EventKind = iota + 1
	// EventRefreshRotated: a refresh token was rotated.
	EventRefreshRotated
	// EventReuseDetected: a used code or a rotated refresh token was presented
	// again, so its grant was revoked (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
	EventReuseDetected
	// EventGrantRevoked: every token of a grant was revoked.
	EventGrantRevoked
	// EventTokenRevoked: a single token was revoked (RFC 7009).
	EventTokenRevoked
	// EventClientAuthFailed: a client failed to authenticate.
	EventClientAuthFailed
	// EventPasswordFailed: a password grant presented wrong credentials.
	EventPasswordFailed
	// EventThrottled: a request was refused with 429 after repeated failures.
	EventThrottled
	// EventConsentGranted: a user approved an authorization request.
	EventConsentGranted
	// EventConsentDenied: a user denied an authorization request.
	EventConsentDenied
)

var eventNames = [...]string{
	EventTokenIssued:      "token_issued",
	EventRefreshRotated:   "refresh_rotated",
	EventReuseDetected:    "reuse_detected",
	EventGrantRevoked:     "grant_revoked",
	EventTokenRevoked:     "token_revoked",
	EventClientAuthFailed: "client_auth_failed",
	EventPasswordFailed:   "password_failed",
	EventThrottled:        "throttled",
	EventConsentGranted:   "consent_granted",
	EventConsentDenied:    "consent_denied",
}

// String returns the event kind's snake_case name.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// Event describes something a host may want to count or trace. It never
// carries a token, a code, a secret or a password.
type Event struct {
	// Kind says what happened.
	Kind EventKind
	// ClientID is the client involved, if known.
	ClientID string
	// Subject is the resource owner involved, if any.
	Subject string
	// GrantID is the grant involved, if any.
	GrantID string
	// GrantType is the grant type of a token request, if any.
	GrantType GrantType
	// Scopes are the scopes issued or approved, if any.
	Scopes []string
}

// emit reports e to Config.Hooks.Events.
func (s *Server) emit(ctx context.Context, e Event) {
	if s.cfg.Hooks.Events != nil {
		s.cfg.Hooks.Events(ctx, e)
	}
}
