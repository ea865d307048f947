package authserver_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

func TestGrantClientCredentials(t *testing.T) {
	tests := []struct {
		name      string
		defaults  []string
		scope     string // "" sends no scope parameter
		status    int
		err       string
		granted   []string
		respScope string // "" means no scope field in the response
	}{
		{name: "a subset of the registered scopes is granted as asked", scope: "keys_op", status: 200, granted: []string{"keys_op"}},
		{name: "every registered scope at once", scope: "basic_info keys_op", status: 200, granted: []string{"basic_info", "keys_op"}},
		{name: "a repeated scope counts once", scope: "keys_op keys_op", status: 200, granted: []string{"keys_op"}},
		{name: "no scope and no default scopes gives a token without scopes", status: 200},
		{name: "no scope gets the default scopes the client registered", defaults: []string{"basic_info", "phone"}, status: 200,
			granted: []string{"basic_info"}, respScope: "basic_info"},
		{name: "a known scope the client did not register is invalid_scope", scope: "phone", status: 400, err: "invalid_scope"},
		{name: "an unknown scope is invalid_scope", scope: "admin", status: 400, err: "invalid_scope"},
		{name: "one bad scope spoils the request", scope: "basic_info admin", status: 400, err: "invalid_scope"},
		{name: "a scope with a forbidden character is invalid_scope", scope: `basic_info "x"`, status: 400, err: "invalid_scope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newTestServer(t, func(c *authserver.Config) { c.DefaultScopes = tc.defaults })
			form := url.Values{"grant_type": {"client_credentials"}}
			if tc.scope != "" {
				form.Set("scope", tc.scope)
			}
			rec := postForm(t, srv, "/oauth/token", form, basic(serviceID, servicePass))
			if tc.err != "" {
				assertOAuthError(t, rec, tc.status, tc.err)
				return
			}
			body := tokenOK(t, rec)
			assert.NotContains(t, body, "refresh_token", "client_credentials issues no refresh token (RFC 6749 §4.4.3)")
			assert.Equal(t, tc.respScope, str(body, "scope"))
			info, err := srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
			require.NoError(t, err)
			assert.Equal(t, serviceID, info.ClientID)
			assert.Empty(t, info.Subject)
			assert.Equal(t, tc.granted, info.Scopes)
			assert.WithinDuration(t, time.Now().Add(30*time.Minute), info.ExpiresAt, 5*time.Second)
		})
	}
}

func TestGrantClientCredentialsNeedsConfidentialClient(t *testing.T) {
	srv, st := newTestServer(t, nil)
	// RegisterClient refuses this; a host writing records itself might not.
	require.NoError(t, st.SaveClient(t.Context(), store.Client{
		ID: "public-service", GrantTypes: []string{"client_credentials"}, AuthMethod: "none", Scopes: []string{"basic_info"},
	}))
	rec := postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"public-service"}}, "")
	assertOAuthError(t, rec, 400, "unauthorized_client")
}

func TestGrantClientCredentialsWithPostAuth(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{
		ID: "post-service", Secret: "post-service-secret-01", AuthMethod: authserver.AuthMethodPost,
		GrantTypes: grants("client_credentials"), Scopes: []string{"keys_op"},
	}))
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"post-service"}, "client_secret": {"post-service-secret-01"}}
	body := tokenOK(t, postForm(t, srv, "/oauth/token", form, ""))
	assertActive(t, srv, str(body, "access_token"), true)
}
