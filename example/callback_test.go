package main

import (
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/example/internal/demo"
)

// callbackPage is the whole HTML of the callback page whose body, between
// the heading and the end, is inner.
func callbackPage(inner string) string {
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Callback · kunci demo</title>
<style>
body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}
label{display:block;margin:.75rem 0}input[type=text],input[type=password]{display:block;width:100%;font-size:1rem;padding:.4rem;box-sizing:border-box}
button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}.error{color:#a00}
table{border-collapse:collapse}td{padding:.25rem .5rem;border-bottom:1px solid #ddd;word-break:break-all}
</style>
</head>
<body>
<h1>Callback</h1>
` + inner + `</body>
</html>

`
}

// callbackText is the callback page's message when it shows parameters.
const callbackText = `<p id="message">This is the demo clients&#39; redirect URI. A real client would now exchange the code at /oauth/token.</p>
`

// postedNote is the callback page's note for parameters that came by POST.
const postedNote = `<p>These parameters came by POST (response_mode=form_post), so they are in neither the browser&#39;s history nor a Referer.</p>
`

// rawPost posts body with the given Content-Type to the demo's path.
func (e *env) rawPost(path, contentType, body string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), http.MethodPost, e.base+path, strings.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", contentType)
	resp, err := e.client.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp, string(b)
}

// TestFormPostCallback: POST /callback, where the form_post page (OAuth
// 2.0 Form Post Response Mode §2) lands, shows a code or an error response
// (RFC 6749 §4.1.2, §4.1.2.1) from its form, never from its query, and
// answers 400 to a form that is not an authorization response, and 405 to
// another method.
func TestFormPostCallback(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	notResponse := callbackPage(`<p id="message">The posted form is not an authorization response: it must carry either a code or an error.</p>
`)
	unreadable := callbackPage(`<p id="message">The posted form could not be read.</p>
`)
	cases := []struct {
		name        string
		path        string
		contentType string
		body        string
		status      int
		page        string
	}{
		{"a code response is shown, known parameters first and values escaped", "/callback", form,
			"session_state=x%3Cy&iss=http%3A%2F%2Fas.example&state=s-1&code=kac_abc", http.StatusOK,
			callbackPage(callbackText + `<table id="params">
<tr><td>code</td><td id="param-code">kac_abc</td></tr>
<tr><td>state</td><td id="param-state">s-1</td></tr>
<tr><td>iss</td><td id="param-iss">http://as.example</td></tr>
<tr><td>session_state</td><td id="param-session_state">x&lt;y</td></tr>
</table>
` + postedNote)},
		{"an error response is shown", "/callback", form,
			"error=access_denied&error_description=the+user+said+no&state=s-2", http.StatusOK,
			callbackPage(callbackText + `<table id="params">
<tr><td>state</td><td id="param-state">s-2</td></tr>
<tr><td>error</td><td id="param-error">access_denied</td></tr>
<tr><td>error_description</td><td id="param-error_description">the user said no</td></tr>
</table>
` + postedNote)},
		{"a form without code or error is refused", "/callback", form, "state=s-3&iss=http%3A%2F%2Fas.example",
			http.StatusBadRequest, notResponse},
		{"a code in the query of a POST does not count", "/callback?code=kac_abc", form, "state=s-4",
			http.StatusBadRequest, notResponse},
		{"a form with both code and error is refused", "/callback", form, "code=kac_abc&error=access_denied",
			http.StatusBadRequest, notResponse},
		{"a repeated parameter is refused", "/callback", form, "code=kac_abc&state=a&state=b",
			http.StatusBadRequest, callbackPage(`<p id="message">The posted form repeats the parameter state.</p>
`)},
		{"a JSON body is not a form", "/callback", "application/json", `{"code":"kac_abc"}`,
			http.StatusBadRequest, notResponse},
		{"a malformed form is refused", "/callback", form, "code=%zz", http.StatusBadRequest, unreadable},
		{"a form over 64 KiB is refused", "/callback", form, "code=" + strings.Repeat("a", 64<<10),
			http.StatusBadRequest, unreadable},
	}
	e := newEnv(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.rawPost(tc.path, tc.contentType, tc.body)
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, tc.page, body)
			assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			assert.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
		})
	}

	t.Run("another method is 405", func(t *testing.T) {
		resp, body := e.do(http.MethodPut, "/callback", url.Values{"code": {"kac_abc"}}, nil)
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
		assert.Equal(t, "Method Not Allowed\n", body)
		assert.Equal(t, "GET, HEAD, POST", resp.Header.Get("Allow"))
	})
	t.Run("the partner's login_uri takes no POST", func(t *testing.T) {
		resp, body := e.post("/partner/login", url.Values{"error": {"access_denied"}})
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
		assert.Equal(t, "Method Not Allowed\n", body)
		assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
	})
}

var (
	// formActionRe reads the target of authserver's form_post page.
	formActionRe = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	// verifierRe reads the code_verifier of a printed curl command.
	verifierRe = regexp.MustCompile(`-d code_verifier=([A-Za-z0-9._~-]+)`)
)

// TestWalkthroughOpenIDSignIn follows the walkthrough's "OpenID Connect
// sign-in" section as a browser would: the printed authorization request
// (response_mode=form_post) answers the approval with the form_post page,
// whose form lands on POST /callback with the code, which exchanges with
// the printed verifier for an ID Token that go-oidc accepts, nonce
// included.
func TestWalkthroughOpenIDSignIn(t *testing.T) {
	e := newEnv(t, nil)
	var out strings.Builder
	require.NoError(t, demo.WriteWalkthrough(&out, e.base, e.app.Data(), ""))
	_, section, ok := strings.Cut(out.String(), "== OpenID Connect sign-in (nuid-web) ==\n")
	require.True(t, ok, out.String())
	section, _, _ = strings.Cut(section, "\n== ")
	lines := strings.Split(section, "\n")
	require.Greater(t, len(lines), 2, section)
	authorize := strings.TrimSpace(lines[2])
	require.True(t, strings.HasPrefix(authorize, e.base+"/oauth/authorize?"), section)
	m := verifierRe.FindStringSubmatch(section)
	require.NotNil(t, m, section)
	verifier := m[1]

	resp, page := e.get(authorize)
	require.Equal(t, http.StatusFound, resp.StatusCode, page)
	resp, page = e.get(e.signInAt(e.location(resp), userName, userPassword).String())
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	form := hiddenFields(page)
	form.Set("decision", "approve")
	form["scope"] = []string{"openid", "profile", "email", "phone"}
	resp, page = e.post("/oauth/consent", form)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the form_post page, not a redirect: %s", page)
	assert.Empty(t, resp.Header.Get("Location"))

	action := formActionRe.FindStringSubmatch(page)
	require.NotNil(t, action, page)
	assert.Equal(t, e.base+"/callback", action[1])
	posted := hiddenFields(page)
	assert.Equal(t, []string{"code", "iss", "state"}, slices.Sorted(maps.Keys(posted)))
	assert.Equal(t, "demo-state", posted.Get("state"))
	assert.Equal(t, e.base, posted.Get("iss"))
	code := posted.Get("code")
	require.NotEmpty(t, code)

	resp, page = e.post(action[1], posted)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, callbackPage(callbackText+`<table id="params">
<tr><td>code</td><td id="param-code">`+code+`</td></tr>
<tr><td>state</td><td id="param-state">demo-state</td></tr>
<tr><td>iss</td><td id="param-iss">`+e.base+`</td></tr>
</table>
`+postedNote), page)

	resp, body := e.basicPost("/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {e.base + "/callback"},
		"code_verifier": {verifier},
	}, webID, webSecret)
	tok := tokenResponse(t, resp, body)
	raw, ok := tok["id_token"].(string)
	require.True(t, ok, body)
	provider, err := oidc.NewProvider(t.Context(), e.base)
	require.NoError(t, err)
	idToken, err := provider.Verifier(&oidc.Config{ClientID: webID}).Verify(t.Context(), raw)
	require.NoError(t, err)
	assert.Equal(t, e.base, idToken.Issuer)
	assert.Equal(t, []string{webID}, idToken.Audience)
	assert.Equal(t, userName, idToken.Subject)
	assert.Equal(t, "demo-nonce", idToken.Nonce)
}
