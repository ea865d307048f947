package authserver_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

var (
	formActionRe = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	formFieldRe  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	scriptRe     = regexp.MustCompile(`(?i)<script`)
	nonceRe      = regexp.MustCompile(`<script nonce="([^"]+)">document\.forms\[0\]\.submit\(\)</script>`)
)

// formPost checks that rec is the page of OAuth 2.0 Form Post Response
// Mode §2 posting to redirect, with its headers: no caching, framing or
// Referer, and a Content-Security-Policy that allows its one script by a
// nonce and nothing else. It returns the posted fields and the nonce.
func formPost(t *testing.T, rec *httptest.ResponseRecorder, redirect string) (url.Values, string) {
	t.Helper()
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	page := rec.Body.String()
	h := rec.Header()
	assert.Empty(t, h.Get("Location"))
	assert.Equal(t, "text/html; charset=utf-8", h.Get("Content-Type"))
	assert.Equal(t, "no-store", h.Get("Cache-Control"))
	assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
	assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
	action := formActionRe.FindStringSubmatch(page)
	require.Len(t, action, 2, page)
	assert.Equal(t, redirect, html.UnescapeString(action[1]))
	nonce := nonceRe.FindStringSubmatch(page)
	require.Len(t, nonce, 2, page)
	assert.Len(t, scriptRe.FindAllString(page, -1), 1, "one script, the one that submits the form")
	assert.Equal(t, "default-src 'none'; script-src 'nonce-"+nonce[1]+"'; base-uri 'none'; frame-ancestors 'none'",
		h.Get("Content-Security-Policy"))
	fields := url.Values{}
	for _, m := range formFieldRe.FindAllStringSubmatch(page, -1) {
		fields.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return fields, nonce[1]
}

// response_mode=form_post (OAuth 2.0 Form Post Response Mode): the code,
// state and iss, or the error, are posted by an auto-submitting page, from
// a remembered approval, from the consent form and for errors alike;
// query and the response type's default work as before; any other mode
// is invalid_request in the default mode.
func TestResponseModeFormPost(t *testing.T) {
	host := &testHost{}
	_, c := newHostServer(t, host, nil)
	host.signInNow("user-alice")

	fields, first := formPost(t, c.approve(c.authorize(with("response_mode", "form_post")), "basic_info", "phone"), testRedirect)
	assert.Equal(t, []string{"code", "iss", "state"}, sortedKeys(fields))
	assert.True(t, strings.HasPrefix(fields.Get("code"), "kac_"), fields)
	assert.Equal(t, "xyz-state", fields.Get("state"))
	assert.Equal(t, testIssuer, fields.Get("iss"))
	tokenOK(t, postForm(t, c.h, "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {fields.Get("code")},
		"redirect_uri": {testRedirect}, "client_id": {publicID}, "code_verifier": {testVerifier}}, ""))

	fields, second := formPost(t, c.authorize(with("response_mode", "form_post")), testRedirect)
	assert.True(t, strings.HasPrefix(fields.Get("code"), "kac_"), "a remembered approval: %v", fields)
	assert.NotEqual(t, first, second, "a fresh nonce for every response")

	t.Run("state is escaped, not markup", func(t *testing.T) {
		state := `"><script>alert(1)</script>`
		page := c.authorize(with("response_mode", "form_post", "state", state))
		fields, _ := formPost(t, page, testRedirect)
		assert.Equal(t, state, fields.Get("state"))
	})
	t.Run("an error", func(t *testing.T) {
		fields, _ := formPost(t, c.authorize(with("response_mode", "form_post", "scope", "nope")), testRedirect)
		assert.Equal(t, clientError("invalid_scope", "scope not allowed: nope"), fields)
	})
	t.Run("a denial at the consent form", func(t *testing.T) {
		page := c.authorize(with("response_mode", "form_post", "scope", "keys_op"))
		form := consentForm(t, page.Body.String())
		form.Set("decision", "deny")
		fields, _ := formPost(t, c.do(http.MethodPost, "/oauth/consent", form), testRedirect)
		assert.Equal(t, clientError("access_denied", "the user denied the request"), fields)
	})
	t.Run("prompt=none", func(t *testing.T) {
		fields, _ := formPost(t, c.authorize(with("response_mode", "form_post", "prompt", "none", "scope", "keys_op")), testRedirect)
		assert.Equal(t, clientError("consent_required", "the user has not approved this request"), fields)
	})
	t.Run("the implicit grant", func(t *testing.T) {
		q := authorizeQuery(url.Values{"response_type": {"token"}, "response_mode": {"form_post"}, "code_challenge": nil, "code_challenge_method": nil})
		fields, _ := formPost(t, c.authorize(q), testRedirect)
		assert.Equal(t, []string{"access_token", "expires_in", "iss", "state", "token_type"}, sortedKeys(fields))
		assert.Equal(t, "Bearer", fields.Get("token_type"))
	})
	t.Run("query, explicitly", func(t *testing.T) {
		got := atClient(t, c.authorize(with("response_mode", "query")), http.StatusFound, testRedirect)
		assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)
	})

	unsupported := clientError("invalid_request", "unsupported response_mode for this response_type")
	for _, tc := range []struct {
		name, query string
		fragment    bool
	}{
		{"fragment for code", with("response_mode", "fragment"), false},
		{"an unknown mode", with("response_mode", "jwt"), false},
		{"query for token", authorizeQuery(url.Values{"response_type": {"token"}, "response_mode": {"query"},
			"code_challenge": nil, "code_challenge_method": nil}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := c.authorize(tc.query)
			assert.Equal(t, unsupported, atClient(t, rec, http.StatusFound, testRedirect))
			assert.Equal(t, tc.fragment, strings.Contains(rec.Header().Get("Location"), "#"))
		})
	}
	t.Run("a repeated mode answers in the default one", func(t *testing.T) {
		q := authorizeQuery(url.Values{"response_mode": {"form_post", "form_post"}})
		assert.Equal(t, clientError("invalid_request", "a parameter is repeated"), atClient(t, c.authorize(q), http.StatusFound, testRedirect))
	})
}

// A redirect URI whose scheme runs code, in a client record saved by
// other means than RegisterClient, never becomes a form's action.
func TestResponseModeFormPostRefusesCodeSchemes(t *testing.T) {
	host := &testHost{}
	srv, st := newTestServer(t, func(c *authserver.Config) { c.Browser.Session = host.session })
	require.NoError(t, st.SaveClient(t.Context(), store.Client{ID: "bad", AuthMethod: "none", RedirectURIs: []string{"javascript:alert(1)"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scopes: []string{"basic_info"}}))
	host.signInNow("user-alice")
	rec := newInproc(t, srv).authorize(with("client_id", "bad", "redirect_uri", "javascript:alert(1)", "response_mode", "form_post", "scope", "nope"))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.NotContains(t, rec.Body.String(), "javascript")
	assert.Contains(t, rec.Body.String(), `<p id="error-description">redirect_uri cannot receive a form post</p>`)
}

// sortedKeys returns the keys of v, sorted.
func sortedKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
