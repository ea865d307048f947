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

// The rules of an OpenID Connect authentication request (Core §3.1.2.1,
// §6): each error goes to the redirect URI with state and iss, except a
// missing redirect_uri, which is an error page even though rp registered
// exactly one.
func TestOpenIDAuthorizeRules(t *testing.T) {
	srv, _, _ := newOIDCServer(t, nil)
	b := newRPBrowser(t, srv)
	tests := []struct {
		name        string
		extra       url.Values
		code        string
		description string
		fragment    bool
	}{
		{"a request object", url.Values{"request": {"eyJhbGciOiJub25lIn0.e30."}}, "request_not_supported", "request objects are not supported", false},
		{"a request object by reference", url.Values{"request_uri": {"https://rp.example.com/req.jwt"}}, "request_uri_not_supported", "request_uri is not supported", false},
		{"response_type token", url.Values{"response_type": {"token"}, "client_id": {publicID}, "code_challenge": nil, "code_challenge_method": nil},
			"unsupported_response_type", "an OpenID Connect request must use response_type code", true},
		{"an oversized nonce", url.Values{"nonce": {strings.Repeat("n", 1025)}}, "invalid_request", "nonce is too long", false},
		{"a repeated nonce", url.Values{"nonce": {"a", "b"}}, "invalid_request", "a parameter is repeated", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := b.do(http.MethodGet, "/oauth/authorize?"+rpQuery(tc.extra), nil)
			require.Equal(t, http.StatusFound, resp.StatusCode)
			loc := location(t, resp)
			assert.Equal(t, testRedirect, loc.Scheme+"://"+loc.Host+loc.Path)
			q := loc.Query()
			if tc.fragment {
				var err error
				q, err = url.ParseQuery(loc.Fragment)
				require.NoError(t, err)
			}
			assert.Equal(t, url.Values{"error": {tc.code}, "error_description": {tc.description}, "state": {"xyz-state"}, "iss": {testIssuer}}, q)
		})
	}

	t.Run("a missing redirect_uri", func(t *testing.T) {
		resp, page := b.do(http.MethodGet, "/oauth/authorize?"+rpQuery(url.Values{"redirect_uri": nil}), nil)
		assertErrorPage(t, resp, page, http.StatusBadRequest, authserver.CodeInvalidRequest, "missing redirect_uri, which an OpenID Connect request must name")
	})
	t.Run("a nonce of the longest length is kept", func(t *testing.T) {
		nonce := strings.Repeat("n", 1024)
		body := exchange(t, srv, signIn(t, b, url.Values{"nonce": {nonce}}))
		_, claims := idTokenParts(t, str(body, "id_token"))
		assert.Equal(t, nonce, claims["nonce"])
	})
	t.Run("no nonce, no nonce claim", func(t *testing.T) {
		body := exchange(t, srv, signIn(t, b, url.Values{"nonce": nil}))
		_, claims := idTokenParts(t, str(body, "id_token"))
		assert.NotContains(t, claims, "nonce")
	})
	// A parameter sent without a value is one left out (RFC 6749 §3.1).
	for _, name := range []string{"request", "request_uri"} {
		t.Run("an empty "+name+" parameter", func(t *testing.T) {
			body := exchange(t, srv, signIn(t, b, url.Values{name: {""}}))
			assert.NotEmpty(t, str(body, "id_token"))
		})
	}
	t.Run("a plain OAuth request may still leave redirect_uri out and pass a request parameter", func(t *testing.T) {
		resp, page := b.do(http.MethodGet, "/oauth/authorize?"+rpQuery(url.Values{"redirect_uri": nil, "scope": {"basic_info"}, "request": {"x"}}), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, page)
		assert.Contains(t, page, "Relying Party wants to access your account")
	})
}

// Only the authorization endpoint starts an OpenID Connect grant: the
// password and client_credentials grants and IssueToken refuse openid.
func TestOpenIDRefusedOutsideAuthorize(t *testing.T) {
	srv, _, _ := newOIDCServer(t, nil)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "robot", Secret: rpSecret,
		GrantTypes: grants("client_credentials", "password"), Scopes: []string{"openid", "basic_info"}}))
	for _, form := range []url.Values{withScope(ccForm(), "openid"), withScope(passwordForm("alice", "wonderland"), "basic_info openid")} {
		rec := postForm(t, srv, "/oauth/token", form, basic("robot", rpSecret))
		body := assertOAuthError(t, rec, http.StatusBadRequest, "invalid_scope")
		assert.Equal(t, "openid is granted only at the authorization endpoint", body["error_description"])
	}
	_, err := srv.IssueToken(t.Context(), authserver.TokenRequest{ClientID: "robot", Subject: "user-alice", Scopes: []string{"openid"}})
	var e *authserver.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, authserver.CodeInvalidScope, e.Code)
	// Without openid they work as before.
	tokenOK(t, postForm(t, srv, "/oauth/token", withScope(ccForm(), "basic_info"), basic("robot", rpSecret)))
}
