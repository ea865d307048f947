package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// RFC 8252 §8.6: a remembered consent is applied without asking only when
// the client's identity is proven, by an https redirect URI or by a
// confidential client redeeming a code. A public client with a loopback or
// custom-scheme redirect URI, or the implicit grant to such a URI, gets the
// consent page again.
func TestRememberedConsentNeedsAProvenClientIdentity(t *testing.T) {
	newServer := func(t *testing.T) *authserver.Server {
		srv, _ := newTestServer(t, func(c *authserver.Config) { c.Lifetimes.Consent = time.Hour })
		for _, c := range []authserver.Client{
			{ID: "native-scheme", Name: "Native App", AuthMethod: authserver.AuthMethodNone, ApplicationType: authserver.ApplicationNative,
				RedirectURIs: []string{"com.example.app:/oauth2redirect"}, GrantTypes: grants("authorization_code", "implicit"), Scopes: []string{"basic_info"}},
			{ID: "web-loopback", Secret: "web-loopback-secret-0123", Name: "Web App", RedirectURIs: []string{"http://127.0.0.1:9000/cb"},
				GrantTypes: grants("authorization_code", "implicit"), Scopes: []string{"basic_info"}},
		} {
			require.NoError(t, srv.RegisterClient(t.Context(), c))
		}
		return srv
	}
	code := url.Values{"scope": {"basic_info"}}
	implicit := url.Values{"scope": {"basic_info"}, "response_type": {"token"}, "code_challenge": nil, "code_challenge_method": nil}
	with := func(base url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = []string{kv[i+1]}
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		query     url.Values
		skipsPage bool
	}{
		{"public client, https redirect URI", with(code), true},
		{"public client, loopback redirect URI", with(code, "redirect_uri", "http://127.0.0.1/cb"), false},
		{"public client, loopback redirect URI on another port", with(code, "redirect_uri", "http://127.0.0.1:51234/cb"), false},
		{"public client, custom-scheme redirect URI", with(code, "client_id", "native-scheme", "redirect_uri", "com.example.app:/oauth2redirect"), false},
		{"public client, custom-scheme redirect URI left out", with(code, "client_id", "native-scheme", "redirect_uri", ""), false},
		{"public client, implicit to a custom scheme", with(implicit, "client_id", "native-scheme", "redirect_uri", "com.example.app:/oauth2redirect"), false},
		{"public client, implicit to https", with(implicit), true},
		{"confidential client redeeming a code, loopback redirect URI", with(code, "client_id", "web-loopback", "redirect_uri", "http://127.0.0.1:9000/cb"), true},
		{"confidential client, implicit to a loopback redirect URI", with(implicit, "client_id", "web-loopback", "redirect_uri", "http://127.0.0.1:9000/cb"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.query.Has("redirect_uri") && tc.query.Get("redirect_uri") == "" {
				tc.query["redirect_uri"] = nil
			}
			b := newBrowser(t, newServer(t))
			b.signIn("user-alice")
			path := "/oauth/authorize?" + authorizeQuery(tc.query)

			// The first time the user approves on the page.
			resp, page := b.do(http.MethodGet, path, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, page)
			form := consentForm(t, page)
			form.Set("decision", "approve")
			form.Set("scope", "basic_info")
			resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)

			// The second time the remembered consent applies only to a
			// client whose identity is proven.
			resp, page = b.do(http.MethodGet, path, nil)
			if tc.skipsPage {
				require.Equal(t, http.StatusFound, resp.StatusCode, page)
				cb := location(t, resp)
				assert.True(t, cb.Query().Has("code") || strings.Contains(cb.Fragment, "access_token="), cb.String())
				return
			}
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Empty(t, resp.Header.Get("Location"))
			assert.Contains(t, page, "wants to access your account")
		})
	}
}

// Prakerja's consent-sso requires client_name (the seed marks it
// required): a missing or empty one is an error page, answered exactly like
// a mismatched one.
func TestConsentSSORequiresClientName(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Scopes = append(c.Scopes, authserver.Scope{Name: "name", Description: "Your name"})
	})
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{
		ID: "partner", Secret: "partner-secret-0123456789", Name: "Mitra Pelatihan", PKCEOptional: true,
		RedirectURIs: []string{"https://partner.example/sso/callback"}, LoginURIs: []string{"https://partner.example/login"},
		GrantTypes: grants("authorization_code"), Scopes: []string{"name"},
	}))
	sso := func(name []string) string {
		q := url.Values{
			"client_id": {"partner"}, "login_uri": {"https://partner.example/login"},
			"redirect_uri": {"https://partner.example/sso/callback"}, "scope": {"name"}, "state": {"s-1"},
		}
		if name != nil {
			q["client_name"] = name
		}
		return "/consent-sso?" + q.Encode()
	}
	b := newBrowser(t, srv)
	b.signIn("user-budi")
	resp, page := b.do(http.MethodGet, sso([]string{"Mitra Pelatihan"}), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)

	mismatched, mismatchedPage := b.do(http.MethodGet, sso([]string{"Someone Else"}), nil)
	assertErrorPage(t, mismatched, mismatchedPage, http.StatusBadRequest, authserver.CodeInvalidRequest, "client_name does not match the registered client")
	for _, name := range [][]string{nil, {""}} {
		resp, page := b.do(http.MethodGet, sso(name), nil)
		assertErrorPage(t, resp, page, http.StatusBadRequest, authserver.CodeInvalidRequest, "missing client_name")
		for k := range mismatched.Header {
			if k != "Date" && k != "Content-Length" {
				assert.Equal(t, mismatched.Header[k], resp.Header[k], "%s: the same as for a mismatched client_name", k)
			}
		}
		assert.Len(t, resp.Header, len(mismatched.Header))
	}

	// The standard authorization endpoint does not ask for it.
	resp, _ = b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"scope": {"basic_info"}}), nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// RFC 8707 §2: resource may appear several times at the authorization
// endpoint, in the query or in a POST body; every one reaches the token,
// and the token request may narrow them.
func TestAuthorizeRepeatedResourceReachesTheToken(t *testing.T) {
	const apiA, apiB = "https://a.example/", "https://b.example/"
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Lifetimes.Consent = -1 })
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "two-apis", Secret: "two-apis-secret-0123456",
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"),
		Scopes: []string{"basic_info"}, Resources: []string{apiA, apiB}}))
	b := newBrowser(t, srv)
	b.signIn("user-alice")
	query := url.Values{"client_id": {"two-apis"}, "scope": {"basic_info"}, "resource": {apiA, apiB}}
	codeFor := func(t *testing.T, method string) string {
		t.Helper()
		var resp *http.Response
		var page string
		if method == http.MethodGet {
			resp, page = b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(query), nil)
		} else {
			body, err := url.ParseQuery(authorizeQuery(query))
			require.NoError(t, err)
			resp, page = b.do(http.MethodPost, "/oauth/authorize", body)
		}
		require.Equal(t, http.StatusOK, resp.StatusCode, page)
		form := consentForm(t, page)
		form.Set("decision", "approve")
		form.Set("scope", "basic_info")
		resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		code := location(t, resp).Query().Get("code")
		require.NotEmpty(t, code)
		return code
	}
	audience := func(t *testing.T, form url.Values) []string {
		t.Helper()
		body := tokenOK(t, postForm(t, srv, "/oauth/token", form, basic("two-apis", "two-apis-secret-0123456")))
		info, err := srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
		require.NoError(t, err)
		return info.Audience
	}

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			assert.Equal(t, []string{apiA, apiB}, audience(t, codeForm(codeFor(t, method), testVerifier)), "both resources reach the token")
			narrowed := codeForm(codeFor(t, method), testVerifier)
			narrowed.Set("resource", apiB)
			assert.Equal(t, []string{apiB}, audience(t, narrowed), "the token request narrows them")
		})
	}
	t.Run("a resource the client did not register is refused", func(t *testing.T) {
		q := url.Values{"client_id": {"two-apis"}, "scope": {"basic_info"}, "resource": {apiA, "https://c.example/"}}
		resp, _ := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(q), nil)
		require.Equal(t, http.StatusFound, resp.StatusCode)
		assert.Equal(t, "invalid_target", location(t, resp).Query().Get("error"))
	})
}
