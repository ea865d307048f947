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

func TestGrantCode(t *testing.T) {
	confidential := basic(confidentialID, confidentialPass)
	otherVerifier := strings.Repeat("x", 43)
	tests := []struct {
		name   string
		spec   codeSpec
		form   func(code string) url.Values
		authz  string
		status int
		err    string // empty for success
	}{
		{
			name:   "a confidential client with Basic and the right S256 verifier gets tokens",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)},
			form:   func(c string) url.Values { return codeForm(c, testVerifier) },
			authz:  confidential,
			status: 200,
		},
		{
			name:   "a wrong verifier is invalid_grant",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)},
			form:   func(c string) url.Values { return codeForm(c, otherVerifier) },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a missing verifier for a code with a challenge is invalid_grant",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)},
			form:   func(c string) url.Values { return codeForm(c, "") },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a verifier that is too short is invalid_grant even if it hashes right",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256("short")},
			form:   func(c string) url.Values { return codeForm(c, "short") },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "the challenge itself is not a verifier",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)},
			form:   func(c string) url.Values { return codeForm(c, s256(testVerifier)) },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a verifier for a code issued without a challenge is a downgrade and invalid_grant",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect},
			form:   func(c string) url.Values { return codeForm(c, testVerifier) },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a code issued without a challenge is redeemed without a verifier",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect},
			form:   func(c string) url.Values { return codeForm(c, "") },
			authz:  confidential,
			status: 200,
		},
		{
			name:   "a plain challenge matches the verifier itself",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: testVerifier, method: "plain"},
			form:   func(c string) url.Values { return codeForm(c, testVerifier) },
			authz:  confidential,
			status: 200,
		},
		{
			name: "a different redirect_uri is invalid_grant",
			spec: codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)},
			form: func(c string) url.Values {
				v := codeForm(c, testVerifier)
				v.Set("redirect_uri", testRedirect+"/other")
				return v
			},
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name: "leaving out the redirect_uri of the authorization request is invalid_grant",
			spec: codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)},
			form: func(c string) url.Values {
				v := codeForm(c, testVerifier)
				v.Del("redirect_uri")
				return v
			},
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name: "a code requested without redirect_uri may be redeemed without one",
			spec: codeSpec{clientID: confidentialID, challenge: s256(testVerifier)},
			form: func(c string) url.Values {
				v := codeForm(c, testVerifier)
				v.Del("redirect_uri")
				return v
			},
			authz:  confidential,
			status: 200,
		},
		{
			name: "a code requested without redirect_uri rejects an unregistered one",
			spec: codeSpec{clientID: confidentialID, challenge: s256(testVerifier)},
			form: func(c string) url.Values {
				v := codeForm(c, testVerifier)
				v.Set("redirect_uri", "https://evil.example/cb")
				return v
			},
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a code issued to another client is invalid_grant",
			spec:   codeSpec{clientID: postID, redirectURI: testRedirect, challenge: s256(testVerifier)},
			form:   func(c string) url.Values { return codeForm(c, testVerifier) },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a missing code is invalid_request",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect},
			form:   func(string) url.Values { return codeForm("", "") },
			authz:  confidential,
			status: 400, err: "invalid_request",
		},
		{
			name:   "an unknown code is invalid_grant",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect},
			form:   func(string) url.Values { return codeForm("kac_"+randomString(), "") },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a well-formed code of an unknown grant is invalid_grant",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect},
			form:   func(string) url.Values { return codeForm(grantToken("kac_", newGrantID()), "") },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a forged code naming a live grant is invalid_grant",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect},
			form:   func(c string) url.Values { return codeForm(c[:len("kac_")+22+1]+randomString(), "") },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a code one character short is invalid_grant",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect},
			form:   func(c string) url.Values { return codeForm(c[:len(c)-1], "") },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a value without the code prefix is invalid_grant",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect},
			form:   func(c string) url.Values { return codeForm(strings.TrimPrefix(c, "kac_"), "") },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a refresh token is not a code",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect},
			form:   func(string) url.Values { return codeForm("krt_"+randomString(), "") },
			authz:  confidential,
			status: 400, err: "invalid_grant",
		},
		{
			name:   "a wrong client secret is invalid_client",
			spec:   codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)},
			form:   func(c string) url.Values { return codeForm(c, testVerifier) },
			authz:  basic(confidentialID, "not-the-secret-0123"),
			status: 401, err: "invalid_client",
		},
		{
			name: "a public client without client_id is invalid_client",
			spec: codeSpec{clientID: publicID, redirectURI: testRedirect, challenge: s256(testVerifier)},
			form: func(c string) url.Values { return codeForm(c, testVerifier) },
			// no authentication at all
			status: 401, err: "invalid_client",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, st := newTestServer(t, nil)
			tc.spec.scopes = []string{"basic_info", "phone"}
			code := issueCode(t, st, tc.spec)
			rec := postForm(t, srv, "/oauth/token", tc.form(code), tc.authz)
			if tc.err != "" {
				assertOAuthError(t, rec, tc.status, tc.err)
				assert.NotContains(t, rec.Body.String(), code)
				assert.NotContains(t, rec.Body.String(), testVerifier)
				return
			}
			body := tokenOK(t, rec)
			assert.EqualValues(t, 1800, body["expires_in"])
			assert.Equal(t, "basic_info phone", body["scope"])
			assert.True(t, strings.HasPrefix(str(body, "access_token"), "kat_"))
			assert.True(t, strings.HasPrefix(str(body, "refresh_token"), "krt_"))
			info, err := srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
			require.NoError(t, err)
			assert.Equal(t, "user-alice", info.Subject)
			assert.Equal(t, tc.spec.clientID, info.ClientID)
			assert.Equal(t, []string{"basic_info", "phone"}, info.Scopes)
		})
	}
}

// A request that fails the client, redirect_uri, PKCE, scope or resource
// checks does not spend the code and revokes nothing: the client it was
// issued to still redeems it afterwards (issue 14; RFC 6749 §4.1.3).
func TestGrantCodeFailedCheckKeepsCode(t *testing.T) {
	tests := []struct {
		name   string
		form   func(code string) url.Values
		authz  string
		status int
		err    string
	}{
		{"a wrong code_verifier", func(c string) url.Values { return codeForm(c, strings.Repeat("y", 43)) },
			basic(confidentialID, confidentialPass), 400, "invalid_grant"},
		{"a missing code_verifier", func(c string) url.Values { return codeForm(c, "") },
			basic(confidentialID, confidentialPass), 400, "invalid_grant"},
		{"another client with its own valid credentials", func(c string) url.Values { return withPost(codeForm(c, testVerifier)) },
			"", 400, "invalid_grant"},
		{"a wrong redirect_uri", func(c string) url.Values {
			return withValue(codeForm(c, testVerifier), "redirect_uri", testRedirect+"/other")
		},
			basic(confidentialID, confidentialPass), 400, "invalid_grant"},
		{"a wrong client secret", func(c string) url.Values { return codeForm(c, testVerifier) },
			basic(confidentialID, "not-the-secret-0123"), 401, "invalid_client"},
		{"a scope beyond the approval", func(c string) url.Values { return withValue(codeForm(c, testVerifier), "scope", "keys_op") },
			basic(confidentialID, confidentialPass), 400, "invalid_scope"},
		{"a resource beyond the approval", func(c string) url.Values {
			return withValue(codeForm(c, testVerifier), "resource", "https://api.example.com/")
		}, basic(confidentialID, confidentialPass), 400, "invalid_target"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log eventLog
			srv, st := newTestServer(t, func(c *authserver.Config) { c.Hooks.Events = log.record })
			code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier),
				scopes: []string{"basic_info"}})
			assertOAuthError(t, postForm(t, srv, "/oauth/token", tc.form(code), tc.authz), tc.status, tc.err)
			assert.NotContains(t, log.kinds(), authserver.EventReuseDetected)
			assert.NotContains(t, log.kinds(), authserver.EventGrantRevoked)

			body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass)))
			assertActive(t, srv, str(body, "access_token"), true)
		})
	}
}

// After a code was redeemed, a second redemption that fails client
// authentication, comes from another client, or fails the redirect_uri or
// PKCE check is refused and revokes nothing: only the code's own client
// proving what it proved the first time can end the grant (issue 14;
// RFC 6749 §4.1.2). TestGrantCodeReplayRevokesGrant covers that case.
func TestGrantCodeReplayFailingChecksRevokesNothing(t *testing.T) {
	tests := []struct {
		name   string
		form   func(code string) url.Values
		authz  string
		status int
		err    string
	}{
		{"another client with its own valid credentials", func(c string) url.Values { return withPost(codeForm(c, testVerifier)) },
			"", 400, "invalid_grant"},
		{"a wrong client secret", func(c string) url.Values { return codeForm(c, testVerifier) },
			basic(confidentialID, "not-the-secret-0123"), 401, "invalid_client"},
		{"a wrong code_verifier", func(c string) url.Values { return codeForm(c, strings.Repeat("y", 43)) },
			basic(confidentialID, confidentialPass), 400, "invalid_grant"},
		{"a wrong redirect_uri", func(c string) url.Values {
			return withValue(codeForm(c, testVerifier), "redirect_uri", testRedirect+"/other")
		},
			basic(confidentialID, confidentialPass), 400, "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log eventLog
			srv, st := newTestServer(t, func(c *authserver.Config) { c.Hooks.Events = log.record })
			code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier),
				scopes: []string{"basic_info"}})
			first := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass)))

			log.reset()
			assertOAuthError(t, postForm(t, srv, "/oauth/token", tc.form(code), tc.authz), tc.status, tc.err)
			assert.NotContains(t, log.kinds(), authserver.EventReuseDetected)
			assert.NotContains(t, log.kinds(), authserver.EventGrantRevoked)
			assertActive(t, srv, str(first, "access_token"), true)
			next := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))
			assertActive(t, srv, str(next, "access_token"), true)
		})
	}
}

// NU.ID version 2: grant_type=authorization_code, a public client that sends
// only client_id, and PKCE.
func TestGrantCodeNUIDVersion2PublicClient(t *testing.T) {
	srv, st := newTestServer(t, nil)
	code := issueCode(t, st, codeSpec{clientID: publicID, redirectURI: testRedirect, challenge: s256(testVerifier), scopes: []string{"basic_info"}})
	form := codeForm(code, testVerifier)
	form.Set("client_id", publicID)
	body := tokenOK(t, postForm(t, srv, "/oauth/token", form, ""))
	assert.NotEmpty(t, str(body, "refresh_token"))
	assertActive(t, srv, str(body, "access_token"), true)

	// The public client refreshes with client_id alone (NU.ID's
	// /oauth/refreshAccessToken).
	rf := refreshForm(str(body, "refresh_token"))
	rf.Set("client_id", publicID)
	body2 := tokenOK(t, postForm(t, srv, "/oauth/refreshAccessToken", rf, ""))
	assertActive(t, srv, str(body2, "access_token"), true)

	// A public client that sends a secret is not authenticated.
	code = issueCode(t, st, codeSpec{clientID: publicID, redirectURI: testRedirect, challenge: s256(testVerifier)})
	form = codeForm(code, testVerifier)
	form.Set("client_id", publicID)
	form.Set("client_secret", "made-up-secret-0123456")
	assertOAuthError(t, postForm(t, srv, "/oauth/token", form, ""), 401, "invalid_client")
}

// NU.ID version 1 sends client_id, client_secret, code and redirect_uri with
// no grant_type.
func TestGrantCodeNUIDVersion1MissingGrantType(t *testing.T) {
	v1 := func(code string) url.Values {
		return url.Values{"client_id": {postID}, "client_secret": {postPass}, "code": {code}, "redirect_uri": {testRedirect}}
	}
	t.Run("accepted with Compat.AcceptMissingGrantType", func(t *testing.T) {
		srv, st := newTestServer(t, func(c *authserver.Config) { c.Compat.AcceptMissingGrantType = true })
		code := issueCode(t, st, codeSpec{clientID: postID, redirectURI: testRedirect, scopes: []string{"basic_info"}})
		body := tokenOK(t, postForm(t, srv, "/oauth/token", v1(code), ""))
		assert.NotEmpty(t, str(body, "refresh_token"))
		assert.EqualValues(t, 1800, body["expires_in"])
		assertActive(t, srv, str(body, "access_token"), true)
	})
	t.Run("invalid_request by default", func(t *testing.T) {
		srv, st := newTestServer(t, nil)
		code := issueCode(t, st, codeSpec{clientID: postID, redirectURI: testRedirect})
		body := assertOAuthError(t, postForm(t, srv, "/oauth/token", v1(code), ""), 400, "invalid_request")
		assert.NotContains(t, body["error_description"], postPass)
		// The code was not touched, so the version 2 request still works.
		form := codeForm(code, "")
		form.Set("client_id", postID)
		form.Set("client_secret", postPass)
		tokenOK(t, postForm(t, srv, "/oauth/token", form, ""))
	})
	t.Run("without a code it is still invalid_request", func(t *testing.T) {
		srv, _ := newTestServer(t, func(c *authserver.Config) { c.Compat.AcceptMissingGrantType = true })
		form := url.Values{"client_id": {postID}, "client_secret": {postPass}, "redirect_uri": {testRedirect}}
		assertOAuthError(t, postForm(t, srv, "/oauth/token", form, ""), 400, "invalid_request")
	})
}

// A second redemption is refused and revokes everything the first one got
// (RFC 6749 §4.1.2).
func TestGrantCodeReplayRevokesGrant(t *testing.T) {
	var log eventLog
	srv, st := newTestServer(t, func(c *authserver.Config) { c.Hooks.Events = log.record })
	code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier), scopes: []string{"basic_info"}})
	first := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass)))
	assertActive(t, srv, str(first, "access_token"), true)
	// A refresh before the replay rotates; its tokens must die too.
	refreshed := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))

	log.reset()
	rec := postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")
	assert.Equal(t, []authserver.EventKind{authserver.EventReuseDetected, authserver.EventGrantRevoked}, log.kinds())

	assertActive(t, srv, str(first, "access_token"), false)
	assertActive(t, srv, str(refreshed, "access_token"), false)
	for _, rt := range []string{str(first, "refresh_token"), str(refreshed, "refresh_token")} {
		rec := postForm(t, srv, "/oauth/token", refreshForm(rt), basic(confidentialID, confidentialPass))
		assertOAuthError(t, rec, 400, "invalid_grant")
	}
	// A third attempt is refused the same way.
	rec = postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")
}

// A client that did not register refresh_token gets no refresh token from a
// code exchange.
func TestGrantCodeWithoutRefreshGrant(t *testing.T) {
	srv, st := newTestServer(t, nil)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{
		ID: "no-refresh", Secret: "no-refresh-secret-0123", RedirectURIs: []string{testRedirect},
		GrantTypes: grants("authorization_code"), Scopes: []string{"basic_info"},
	}))
	code := issueCode(t, st, codeSpec{clientID: "no-refresh", redirectURI: testRedirect, challenge: s256(testVerifier), scopes: []string{"basic_info"}})
	body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic("no-refresh", "no-refresh-secret-0123")))
	assert.NotContains(t, body, "refresh_token")

	rec := postForm(t, srv, "/oauth/token", refreshForm("krt_"+randomString()), basic("no-refresh", "no-refresh-secret-0123"))
	assertOAuthError(t, rec, http.StatusBadRequest, "unauthorized_client")
}

// Apigee's guide lets the code exchange carry a scope: it narrows the access
// token, while the grant (and so the refresh token) keeps what was approved.
func TestGrantCodeScopeNarrowsAccessToken(t *testing.T) {
	srv, st := newTestServer(t, nil)
	code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier),
		scopes: []string{"basic_info", "phone"}})
	form := codeForm(code, testVerifier)
	form.Set("scope", "phone")
	body := tokenOK(t, postForm(t, srv, "/oauth/token", form, basic(confidentialID, confidentialPass)))
	assert.NotContains(t, body, "scope", "granted as requested")
	info, err := srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
	require.NoError(t, err)
	assert.Equal(t, []string{"phone"}, info.Scopes)

	refreshed := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass)))
	assert.Equal(t, "basic_info phone", refreshed["scope"])

	code = issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier),
		scopes: []string{"basic_info"}})
	form = codeForm(code, testVerifier)
	form.Set("scope", "basic_info phone")
	assertOAuthError(t, postForm(t, srv, "/oauth/token", form, basic(confidentialID, confidentialPass)), http.StatusBadRequest, "invalid_scope")
}
