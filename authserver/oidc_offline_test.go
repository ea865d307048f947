package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// An OpenID Connect grant gets a refresh token only when offline_access was
// asked for and approved (Core §11), unless the client opted out of the
// rule; a plain OAuth request gets one as before.
func TestOfflineAccessDecidesRefreshToken(t *testing.T) {
	srv, _, _ := newOIDCServer(t, nil)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "legacy-rp", Secret: rpSecret,
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "refresh_token"), Scopes: rpScopes,
		RefreshWithoutOfflineAccess: true}))
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "no-refresh-rp", Secret: rpSecret,
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"), Scopes: rpScopes}))
	tests := []struct {
		name     string
		client   string
		scope    string
		approve  []string // nil: everything asked for
		idToken  bool
		refresh  bool
		tokScope string // the token response's scope, "" when it repeats the request
	}{
		{"openid alone", rpID, "openid", nil, true, false, ""},
		{"openid with offline_access", rpID, "openid offline_access", nil, true, true, ""},
		{"offline_access not approved", rpID, "openid offline_access", []string{"openid"}, true, false, "openid"},
		{"a client that opted out of the rule", "legacy-rp", "openid", nil, true, true, ""},
		{"a client without the refresh grant, even with offline_access", "no-refresh-rp", "openid offline_access", nil, true, false, ""},
		{"plain OAuth", rpID, "basic_info", nil, false, true, ""},
		{"plain OAuth naming offline_access", rpID, "basic_info offline_access", nil, false, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newRPBrowser(t, srv)
			resp, page := b.do(http.MethodGet, "/oauth/authorize?"+rpQuery(url.Values{"client_id": {tc.client}, "scope": {tc.scope}}), nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, page)
			form := consentForm(t, page)
			form.Set("decision", "approve")
			form["scope"] = tc.approve
			if tc.approve == nil {
				form["scope"] = strings.Fields(tc.scope)
			}
			resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			code := location(t, resp).Query().Get("code")
			body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(tc.client, rpSecret)))
			assert.Equal(t, tc.idToken, body["id_token"] != nil, "id_token")
			assert.Equal(t, tc.refresh, body["refresh_token"] != nil, "refresh_token")
			if tc.tokScope != "" {
				assert.Equal(t, tc.tokScope, body["scope"])
			}
		})
	}
}

// The consent page lists offline_access, and an OpenID Connect request
// asking for it always shows the page, even when the user approved the same
// scopes before; a request without it uses the remembered approval.
func TestOfflineAccessAlwaysAsksTheUser(t *testing.T) {
	srv, _, _ := newOIDCServer(t, nil)
	b := newRPBrowser(t, srv)
	resp, page := b.do(http.MethodGet, "/oauth/authorize?"+rpQuery(url.Values{"scope": {"openid offline_access"}}), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `<input type="checkbox" name="scope" value="offline_access" checked> Keep access to your account while you are not using the app <code>offline_access</code>`)
	assert.Contains(t, page, `<input type="checkbox" name="scope" value="openid" checked> Sign you in with your account <code>openid</code>`)
	form := consentForm(t, page)
	form.Set("decision", "approve")
	form["scope"] = []string{"openid", "offline_access"}
	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	resp, _ = b.do(http.MethodGet, "/oauth/authorize?"+rpQuery(url.Values{"scope": {"openid offline_access"}}), nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the page again")
	resp, _ = b.do(http.MethodGet, "/oauth/authorize?"+rpQuery(url.Values{"scope": {"openid"}}), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode, "remembered")
	assert.NotEmpty(t, location(t, resp).Query().Get("code"))
}

// An OpenID Connect request approved without openid, the sign-in itself,
// is refused with access_denied; nothing is issued or remembered.
func TestOpenIDApprovedWithoutOpenIDIsDenied(t *testing.T) {
	srv, _, _ := newOIDCServer(t, nil)
	b := newRPBrowser(t, srv)
	resp, page := b.do(http.MethodGet, "/oauth/authorize?"+rpQuery(url.Values{"scope": {"openid email"}}), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	form := consentForm(t, page)
	form.Set("decision", "approve")
	form["scope"] = []string{"email"}
	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, url.Values{"error": {"access_denied"}, "error_description": {"the user did not approve signing in"},
		"state": {"xyz-state"}, "iss": {testIssuer}}, location(t, resp).Query())
	// Not remembered: the page is shown again.
	resp, _ = b.do(http.MethodGet, "/oauth/authorize?"+rpQuery(url.Values{"scope": {"email"}}), nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
