package authserver

import "time"

// Lifetimes of a pushed request's request_uri (RFC 9126 §2.2: "short
// lived"; the RFC's examples use 60 seconds and suggest between 5 and 600).
const (
	defaultPushedLifetime = 60 * time.Second
	maxPushedLifetime     = 10 * time.Minute
)

// PushedAuthorization configures pushed authorization requests (RFC 9126),
// which the server accepts at Paths.PushedAuthorization whenever the
// browser side is configured. The zero value accepts them from every
// client without requiring them.
//
// A push by a client that authenticated (client_secret_basic,
// client_secret_post, private_key_jwt) is bounded by that authentication
// and the failure throttle (Limits.FailureLimit), not by
// Limits.AuthorizeRateLimit or Limits.MaxPendingAuthRequests: its backend
// speaks for all its users from one address, and anonymous traffic must
// not lock it out. A public client's push is anonymous traffic and meets
// both limits.
type PushedAuthorization struct {
	// Required makes every client push its authorization requests (RFC
	// 9126 §5, require_pushed_authorization_requests): the authorization
	// endpoint then refuses a request without a pushed request_uri with
	// invalid_request (§4). Without it, a client requires them for itself
	// with Client.RequirePushedAuthorizationRequests (§6).
	Required bool
	// Lifetime is how long a request_uri may be used (RFC 9126 §2.2,
	// expires_in); default 60 seconds, at most 10 minutes. Once the
	// browser has brought it to the authorization endpoint, the request
	// waits for the user as long as any other (Lifetimes.AuthRequest).
	Lifetime time.Duration
}

// checkPushed fills in the defaults of c.PushedAuthorization and reports
// its invalid fields.
func (c *Config) checkPushed(p *problems) {
	pa := &c.PushedAuthorization
	switch {
	case pa.Lifetime < 0 || pa.Lifetime > maxPushedLifetime:
		p.add("PushedAuthorization.Lifetime", "must be between 0 (the default, 60 seconds) and %v", maxPushedLifetime)
	case pa.Lifetime == 0:
		pa.Lifetime = defaultPushedLifetime
	case pa.Lifetime%time.Second != 0:
		p.add("PushedAuthorization.Lifetime", "must be a whole number of seconds, as expires_in is (RFC 9126 §2.2)")
	}
	if pa.Required && !c.browserEnabled() {
		p.add("PushedAuthorization.Required", "needs the browser side (Browser.Session and Browser.LoginURL): there is no authorization endpoint to push requests for")
	}
}
