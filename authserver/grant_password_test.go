package authserver_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

func TestGrantPassword(t *testing.T) {
	tests := []struct {
		name   string
		form   url.Values
		authz  string
		status int
		err    string
	}{
		{"the right password gets tokens", passwordForm("alice", "wonderland"), basic(confidentialID, confidentialPass), 200, ""},
		{"a wrong password is invalid_grant", passwordForm("alice", "looking-glass"), basic(confidentialID, confidentialPass), 400, "invalid_grant"},
		{"an unknown user is invalid_grant", passwordForm("bob", "wonderland"), basic(confidentialID, confidentialPass), 400, "invalid_grant"},
		{"a missing username is invalid_request", url.Values{"grant_type": {"password"}, "password": {"wonderland"}}, basic(confidentialID, confidentialPass), 400, "invalid_request"},
		{"a missing password is invalid_request", url.Values{"grant_type": {"password"}, "username": {"alice"}}, basic(confidentialID, confidentialPass), 400, "invalid_request"},
		{"a client that did not opt in is unauthorized_client", withPost(passwordForm("alice", "wonderland")), "", 400, "unauthorized_client"},
		{"a scope outside the client's is invalid_scope", withScope(passwordForm("alice", "wonderland"), "admin"), basic(confidentialID, confidentialPass), 400, "invalid_scope"},
		{"a wrong client secret is invalid_client", passwordForm("alice", "wonderland"), basic(confidentialID, "wrong-wrong-wrong-wrong"), 401, "invalid_client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newTestServer(t, nil)
			rec := postForm(t, srv, "/oauth/token", tc.form, tc.authz)
			if tc.err != "" {
				assertOAuthError(t, rec, tc.status, tc.err)
				assert.NotContains(t, rec.Body.String(), "wonderland")
				assert.NotContains(t, rec.Body.String(), "looking-glass")
				return
			}
			body := tokenOK(t, rec)
			assert.NotEmpty(t, str(body, "refresh_token"))
			info, err := srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
			require.NoError(t, err)
			assert.Equal(t, "user-alice", info.Subject)
			assert.Equal(t, confidentialID, info.ClientID)
			// The refresh token works like any other.
			tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), tc.authz))
		})
	}
}

func TestGrantPasswordCheckFailureIs503(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.CheckPassword = func(context.Context, string, string) (string, bool, error) {
			return "", false, errors.New("ldap: connection refused to ldap.internal")
		}
	})
	rec := postForm(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), basic(confidentialID, confidentialPass))
	body := assertOAuthError(t, rec, http.StatusServiceUnavailable, "temporarily_unavailable")
	assert.NotContains(t, rec.Body.String(), "ldap", "internal causes are not sent")
	assert.NotContains(t, body, "error_uri")
}

// Failed passwords are throttled per username and source address.
func TestGrantPasswordThrottle(t *testing.T) {
	var log eventLog
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Limits.FailureLimit = 3; c.Hooks.Events = log.record })
	const addr, otherAddr = "198.51.100.7:5555", "203.0.113.9:5555"
	authz := basic(confidentialID, confidentialPass)

	for range 3 {
		rec := postFormFrom(t, srv, "/oauth/token", passwordForm("alice", "wrong"), authz, addr)
		assertOAuthError(t, rec, 400, "invalid_grant")
	}
	// Now even the right password from that address is refused.
	log.reset()
	rec := postFormFrom(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), authz, addr)
	assertThrottled(t, rec, 60)
	assert.Equal(t, []authserver.EventKind{authserver.EventThrottled}, log.kinds())
	assert.NotContains(t, rec.Body.String(), "wonderland")

	// Other usernames from that address, and the same username from another
	// address, are not affected.
	rec = postFormFrom(t, srv, "/oauth/token", passwordForm("bob", "wrong"), authz, addr)
	assertOAuthError(t, rec, 400, "invalid_grant")
	tokenOK(t, postFormFrom(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), authz, otherAddr))
	// The client itself is not throttled for its other grants.
	first := tokenOK(t, postFormFrom(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), authz, otherAddr))
	tokenOK(t, postFormFrom(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), authz, addr))
}

func TestGrantPasswordThrottleDisabled(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Limits.FailureLimit = -1 })
	for range 30 {
		rec := postForm(t, srv, "/oauth/token", passwordForm("alice", "wrong"), basic(confidentialID, confidentialPass))
		assertOAuthError(t, rec, 400, "invalid_grant")
	}
	tokenOK(t, postForm(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), basic(confidentialID, confidentialPass)))
}

// A client record that names refresh_token on a server that does not offer
// it gets no refresh token, which it could never use (issue 12 review).
func TestNoRefreshTokenWhenServerDoesNotOfferRefresh(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Grants = []authserver.GrantType{authserver.GrantPassword, authserver.GrantClientCredentials}
	})
	require.NoError(t, st.SaveClient(t.Context(), store.Client{ID: "legacy", SecretHash: hashOf("legacy-secret-0123456789"),
		AuthMethod: "client_secret_basic", GrantTypes: []string{"password", "refresh_token"}, Scopes: []string{"basic_info"}}))
	body := tokenOK(t, postForm(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), basic("legacy", "legacy-secret-0123456789")))
	assert.NotContains(t, body, "refresh_token")
	assert.Equal(t, "Bearer", body["token_type"])
}
