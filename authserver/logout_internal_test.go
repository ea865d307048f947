package authserver

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A logout form token is valid until its expiry, for its browser, user
// and fields only, and never under another server's key.
func TestLogoutTokenBinding(t *testing.T) {
	s := &Server{logoutKey: newLogoutKey([]byte("0123456789abcdef0123456789abcdef"))}
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	fields := url.Values{"client_id": {"rp"}, "state": {"s"}}
	binding := []*http.Cookie{{Value: "binding-1"}}
	tok := s.logoutToken("binding-1", "alice", fields, now.Add(time.Minute))

	assert.True(t, s.logoutTokenValid(tok, "alice", fields, binding, now))
	assert.True(t, s.logoutTokenValid(tok, "alice", fields, binding, now.Add(time.Minute)), "valid through its expiry second")
	assert.False(t, s.logoutTokenValid(tok, "alice", fields, binding, now.Add(time.Minute+time.Second)), "expired")
	assert.False(t, s.logoutTokenValid(tok, "bob", fields, binding, now), "another user")
	assert.False(t, s.logoutTokenValid(tok, "alice", url.Values{"client_id": {"rp"}, "state": {"t"}}, binding, now), "another state")
	assert.False(t, s.logoutTokenValid(tok, "alice", fields, []*http.Cookie{{Value: "binding-2"}}, now), "another browser")
	// Fields do not run together: "ab"+"" is not "a"+"b".
	assert.False(t, s.logoutTokenValid(s.logoutToken("binding-1", "alice", url.Values{"client_id": {"rpx"}}, now.Add(time.Minute)),
		"alice", url.Values{"client_id": {"rp"}, "post_logout_redirect_uri": {"x"}}, binding, now))
	planted := []*http.Cookie{{Value: "p1"}, {Value: "p2"}, {Value: "p3"}, {Value: "binding-1"}}
	assert.True(t, s.logoutTokenValid(tok, "alice", fields, planted, now), "the real cookie among the last four")
	other := &Server{logoutKey: newLogoutKey([]byte("another key another key another k"))}
	assert.False(t, other.logoutTokenValid(tok, "alice", fields, binding, now), "another server's key")
}
