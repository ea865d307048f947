package authserver_test

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	htmltemplate "html/template"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// langClient drives a server in process like a browser whose
// Accept-Language is acceptLanguage (none when empty), keeping cookies.
type langClient struct {
	t              *testing.T
	h              http.Handler
	jar            *cookiejar.Jar
	acceptLanguage string
}

func newLangClient(t *testing.T, h http.Handler, acceptLanguage string) *langClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &langClient{t: t, h: h, jar: jar, acceptLanguage: acceptLanguage}
}

// signIn makes testConfig's host consider the browser signed in.
func (c *langClient) signIn(subject string) {
	u, _ := url.Parse(testIssuer)
	c.jar.SetCookies(u, []*http.Cookie{{Name: "user", Value: subject, Path: "/"}})
}

// do sends method to path (with its query), with form as the body when it
// is not nil.
func (c *langClient) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	c.t.Helper()
	req := httptest.NewRequestWithContext(c.t.Context(), method, testIssuer+path, nil)
	if form != nil {
		req = httptest.NewRequestWithContext(c.t.Context(), method, testIssuer+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.acceptLanguage != "" {
		req.Header.Set("Accept-Language", c.acceptLanguage)
	}
	for _, ck := range c.jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	c.jar.SetCookies(req.URL, rec.Result().Cookies())
	return rec
}

// consentPageFor shows the consent page of the standard request with the
// parameters of kv to a signed-in browser with acceptLanguage.
func consentPageFor(t *testing.T, srv http.Handler, acceptLanguage string, kv ...string) *httptest.ResponseRecorder {
	t.Helper()
	c := newLangClient(t, srv, acceptLanguage)
	c.signIn("user-alice")
	rec := c.do(http.MethodGet, "/oauth/authorize?"+with(kv...), nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return rec
}

// assertLanguage checks that rec is a page in lang: <html lang> and
// Content-Language.
func assertLanguage(t *testing.T, rec *httptest.ResponseRecorder, lang string) {
	t.Helper()
	assert.Contains(t, rec.Body.String(), "<html lang=\""+lang+"\">")
	assert.Equal(t, lang, rec.Header().Get("Content-Language"))
	assert.Equal(t, "Accept-Language", rec.Header().Get("Vary"))
}

func TestConsentPageInIndonesianFromAcceptLanguage(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	rec := consentPageFor(t, srv, "id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7")
	page := rec.Body.String()
	assertLanguage(t, rec, "id")
	for _, want := range []string{
		"<title>Izinkan Public App?</title>",
		"<h1>Public App ingin mengakses akun Anda</h1>",
		"<p>Masuk sebagai <strong>user-alice</strong></p>",
		"<dt>Setelah Anda memutuskan, Anda akan diarahkan ke</dt><dd><strong id=\"redirect-host\">app.example.com</strong></dd>",
		"<legend>Aplikasi ini meminta izin untuk:</legend>",
		`<li><label><input type="checkbox" name="scope" value="basic_info" checked> Read your name and email <code>basic_info</code></label></li>`,
		`<button type="submit" name="decision" value="approve" id="approve">Izinkan</button>`,
		`<button type="submit" name="decision" value="deny" id="deny" class="secondary">Tolak</button>`,
	} {
		assert.Contains(t, page, want)
	}
	assert.NotContains(t, page, "wants to access")
	assert.NotContains(t, page, `id="required-scopes"`, "no scope is required")
	assert.NotContains(t, page, `id="client-logo"`, "the client registered no logo")
}

func TestConsentPageInEnglish(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	rec := consentPageFor(t, srv, "en-US,en;q=0.9,id;q=0.8")
	page := rec.Body.String()
	assertLanguage(t, rec, "en")
	for _, want := range []string{
		"<title>Allow Public App?</title>",
		"<h1>Public App wants to access your account</h1>",
		"<dt>After you decide, you will be sent to</dt><dd><strong id=\"redirect-host\">app.example.com</strong></dd>",
		"<legend>It asks to:</legend>",
		`id="approve">Allow</button>`,
		`id="deny" class="secondary">Deny</button>`,
	} {
		assert.Contains(t, page, want)
	}
}

// ui_locales is kept with the pending request: the page after the login
// page is in its language, whatever the browser's Accept-Language says.
func TestConsentPageLanguageFromStoredUILocales(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	for _, tc := range []struct {
		name, uiLocales, acceptLanguage, want string
	}{
		{"ui_locales before Accept-Language", "id", "en", "id"},
		{"the first one the pages have", "fr-FR in-ID en", "en", "id"},
		{"none the pages have: Accept-Language", "fr de", "id", "id"},
		{"malformed entries skipped", "*** e-n_ en", "id", "en"},
		{"none at all: the default", "fr", "", "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newLangClient(t, srv, tc.acceptLanguage)
			login := loginPage(t, c.do(http.MethodGet, "/oauth/authorize?"+with("ui_locales", tc.uiLocales), nil))
			assert.Equal(t, tc.uiLocales, login.Get("ui_locales"))
			c.signIn("user-alice")
			rec := c.do(http.MethodGet, login.Get("return_to"), nil)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assertLanguage(t, rec, tc.want)
		})
	}
}

func TestConsentPageDefaultLanguage(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Browser.DefaultLanguage = "ID" })
	for _, header := range []string{"", "fr-CA, de;q=0.5", "en;q=0", ";;;,=,q=1", "\x00\xff", strings.Repeat("x", 10_000)} {
		rec := consentPageFor(t, srv, header)
		assertLanguage(t, rec, "id")
		assert.Contains(t, rec.Body.String(), "<h1>Public App ingin mengakses akun Anda</h1>", header)
	}
	assertLanguage(t, consentPageFor(t, srv, "en-AU"), "en")
}

// A malformed ui_locales that checkInteraction lets through (visible
// ASCII, at most 1024 characters) chooses no language and breaks nothing.
func TestConsentPageMalformedUILocales(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	for _, v := range []string{`"><script>alert(1)</script>`, "id;q=1", "*", "-id", strings.Repeat("id-", 300)} {
		rec := consentPageFor(t, srv, "", "ui_locales", v)
		assertLanguage(t, rec, "en")
		assert.NotContains(t, rec.Body.String(), "<script>", v)
	}
	rec := consentPageFor(t, srv, "", "ui_locales", `"><script> id`)
	assertLanguage(t, rec, "id")
}

func TestConsentPageScopeDescriptionsPerLanguage(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Scopes = []authserver.Scope{
			{Name: "basic_info", Description: "Mengakses info nama dan alamat email (read-only)",
				Descriptions: map[string]string{"EN": "Read your name and email address (read-only)"}},
			{Name: "phone", Description: "Read your phone number", Descriptions: map[string]string{"id": "Mengakses nomor telepon (read-only)"}},
			{Name: "keys_op"}, {Name: "update_basic_info"},
		}
	})
	id := consentPageFor(t, srv, "id").Body.String()
	assert.Contains(t, id, `value="basic_info" checked> Mengakses info nama dan alamat email (read-only) <code>basic_info</code>`)
	assert.Contains(t, id, `value="phone" checked> Mengakses nomor telepon (read-only) <code>phone</code>`)
	en := consentPageFor(t, srv, "en").Body.String()
	assert.Contains(t, en, `value="basic_info" checked> Read your name and email address (read-only) <code>basic_info</code>`)
	assert.Contains(t, en, `value="phone" checked> Read your phone number <code>phone</code>`)
}

// Scopes marked Required are listed apart, without a checkbox, and the
// page's form posts them back with the approval.
func TestConsentPageRequiredScopes(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Scopes = []authserver.Scope{
			{Name: "basic_info", Description: "Read your name and email", Required: true,
				Descriptions: map[string]string{"id": "Mengakses info nama dan alamat email"}},
			{Name: "phone", Description: "Read your phone number"},
			{Name: "keys_op", Description: "Add and remove your key pairs"}, {Name: "update_basic_info"},
		}
	})
	c := newLangClient(t, srv, "id")
	c.signIn("user-alice")
	rec := c.do(http.MethodGet, "/oauth/authorize?"+with("scope", "basic_info phone"), nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	page := rec.Body.String()
	assert.Contains(t, page, "<h2 id=\"required-scopes-title\">Aplikasi ini memerlukan izin berikut (untuk menolaknya, tolak permintaan ini):</h2>\n"+
		"<ul id=\"required-scopes\" aria-labelledby=\"required-scopes-title\">\n"+
		"<li><input type=\"hidden\" name=\"scope\" value=\"basic_info\">Mengakses info nama dan alamat email <code>basic_info</code></li>\n"+
		"</ul>\n")
	assert.Contains(t, page, "<fieldset id=\"optional-scopes\">\n"+
		"<legend>Aplikasi ini juga meminta izin untuk (hapus centang yang tidak ingin Anda izinkan):</legend>\n<ul>\n"+
		"<li><label><input type=\"checkbox\" name=\"scope\" value=\"phone\" checked> Read your phone number <code>phone</code></label></li>\n"+
		"</ul>\n</fieldset>\n")
	assert.NotContains(t, page, `type="checkbox" name="scope" value="basic_info"`)

	// The user unticks phone: the form as the browser posts it.
	form := consentForm(t, page)
	form.Set("decision", "approve")
	form["scope"] = hiddenScopes(page)
	cb := atClient(t, c.do(http.MethodPost, "/oauth/consent", form), http.StatusSeeOther, testRedirect)
	tokens := tokenOK(t, postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")},
		"redirect_uri": {testRedirect}, "client_id": {publicID}, "code_verifier": {testVerifier}}, ""))
	assert.Equal(t, "basic_info", tokens["scope"])

	t.Run("only required scopes", func(t *testing.T) {
		page := c.do(http.MethodGet, "/oauth/authorize?"+with("scope", "basic_info", "prompt", "consent"), nil).Body.String()
		assert.Contains(t, page, `id="required-scopes"`)
		assert.NotContains(t, page, "<fieldset")
	})
}

// hiddenScopes are the scopes a consent page posts without a checkbox.
func hiddenScopes(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<input type="hidden" name="scope" value="([^"]*)">`).FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

// identityClient is a public client with every RFC 7591 §2 field the
// consent page shows.
func identityClient(name string) authserver.Client {
	return authserver.Client{ID: "identity-app", Name: name, AuthMethod: authserver.AuthMethodNone,
		RedirectURIs: []string{"https://app.example.com:8443/callback"}, GrantTypes: grants("authorization_code"),
		Scopes:  []string{"basic_info", "phone"},
		LogoURI: "https://cdn.example.net/logo.png", ClientURI: "https://app.example.com/",
		PolicyURI: "https://app.example.com/privacy?lang=id&v=2", TOSURI: "https://app.example.com/tos"}
}

func TestConsentPageShowsClientIdentity(t *testing.T) {
	srv, st := newTestServer(t, nil)
	require.NoError(t, srv.RegisterClient(t.Context(), identityClient("Mitra Pelatihan")))
	rec, err := st.Client(t.Context(), "identity-app")
	require.NoError(t, err)
	assert.Equal(t, []string{"https://cdn.example.net/logo.png", "https://app.example.com/", "https://app.example.com/privacy?lang=id&v=2", "https://app.example.com/tos"},
		[]string{rec.LogoURI, rec.ClientURI, rec.PolicyURI, rec.TOSURI})

	query := []string{"client_id", "identity-app", "redirect_uri", "https://app.example.com:8443/callback"}
	id := consentPageFor(t, srv, "id", query...).Body.String()
	assert.Contains(t, id, "<header class=\"client\">\n"+
		`<img class="logo" id="client-logo" src="https://cdn.example.net/logo.png" width="64" height="64" alt="" referrerpolicy="no-referrer">`+"\n"+
		"<h1>Mitra Pelatihan ingin mengakses akun Anda</h1>\n</header>")
	assert.Contains(t, id, "<dl class=\"facts\" id=\"client-facts\">\n"+
		"<dt>Setelah Anda memutuskan, Anda akan diarahkan ke</dt><dd><strong id=\"redirect-host\">app.example.com:8443</strong></dd>\n"+
		"<dt>Situs web</dt><dd><a id=\"client-uri\" href=\"https://app.example.com/\">https://app.example.com/</a></dd>\n"+
		"<dt>Kebijakan privasi</dt><dd><a id=\"policy-uri\" href=\"https://app.example.com/privacy?lang=id&amp;v=2\">https://app.example.com/privacy?lang=id&amp;v=2</a></dd>\n"+
		"<dt>Ketentuan layanan</dt><dd><a id=\"tos-uri\" href=\"https://app.example.com/tos\">https://app.example.com/tos</a></dd>\n"+
		"</dl>")
	en := consentPageFor(t, srv, "en", query...).Body.String()
	assert.Contains(t, en, "<dt>After you decide, you will be sent to</dt><dd><strong id=\"redirect-host\">app.example.com:8443</strong></dd>\n"+
		"<dt>Website</dt><dd><a id=\"client-uri\" href=\"https://app.example.com/\">https://app.example.com/</a></dd>\n"+
		"<dt>Privacy policy</dt><dd><a id=\"policy-uri\" href=\"https://app.example.com/privacy?lang=id&amp;v=2\">https://app.example.com/privacy?lang=id&amp;v=2</a></dd>\n"+
		"<dt>Terms of service</dt><dd><a id=\"tos-uri\" href=\"https://app.example.com/tos\">https://app.example.com/tos</a></dd>\n")

	t.Run("the redirect URI the request names", func(t *testing.T) {
		page := consentPageFor(t, srv, "", "redirect_uri", "http://127.0.0.1/cb").Body.String()
		assert.Contains(t, page, `<strong id="redirect-host">127.0.0.1</strong>`)
	})
}

func TestConsentPageEscapesClientAndScopeText(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Scopes = []authserver.Scope{
			{Name: "basic_info", Description: `<b>all</b> your "data" & more`,
				Descriptions: map[string]string{"id": `<img src=x onerror=alert(1)>`}},
			{Name: "phone"}, {Name: "keys_op"}, {Name: "update_basic_info"},
		}
	})
	require.NoError(t, srv.RegisterClient(t.Context(), identityClient(`<script>alert("x")</script> {client}`)))
	for lang, want := range map[string]string{
		"en": `value="basic_info" checked> &lt;b&gt;all&lt;/b&gt; your &#34;data&#34; &amp; more <code>basic_info</code>`,
		"id": `value="basic_info" checked> &lt;img src=x onerror=alert(1)&gt; <code>basic_info</code>`,
	} {
		page := consentPageFor(t, srv, lang, "client_id", "identity-app", "redirect_uri", "https://app.example.com:8443/callback", "scope", "basic_info").Body.String()
		assert.Contains(t, page, want)
		assert.NotContains(t, page, "<script>alert")
		assert.NotContains(t, page, "<img src=x")
		if lang == "en" {
			assert.Contains(t, page, "<title>Allow &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; {client}?</title>")
			assert.Contains(t, page, "<h1>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; {client} wants to access your account</h1>")
		}
	}
}

// A record saved by other means than RegisterClient may hold URIs that
// registration refuses: the page leaves them out.
func TestConsentPageIgnoresUnsafeStoredURIs(t *testing.T) {
	srv, st := newTestServer(t, nil)
	require.NoError(t, st.SaveClient(t.Context(), store.Client{ID: "stored", Name: "Stored", AuthMethod: "none",
		RedirectURIs: []string{testRedirect}, GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
		Scopes:  []string{"basic_info"},
		LogoURI: "http://cdn.example.net/logo.png", ClientURI: "javascript:alert(1)",
		PolicyURI: `https://app.example.com/"onmouseover="alert(1)`, TOSURI: "https://user:pw@app.example.com/tos"}))
	page := consentPageFor(t, srv, "", "client_id", "stored", "scope", "basic_info").Body.String()
	for _, absent := range []string{"<img", "javascript", "onmouseover", "user:pw", `id="client-uri"`, `id="policy-uri"`, `id="tos-uri"`} {
		assert.NotContains(t, page, absent)
	}
	assert.Contains(t, page, `<strong id="redirect-host">app.example.com</strong>`)
}

func TestRegisterClientPageURIs(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	for _, tc := range []struct {
		name, uri, problem string
	}{
		{"http", "http://app.example.com/logo.png", "must be an absolute https URL"},
		{"relative", "/logo.png", "must be an absolute https URL"},
		{"javascript", "javascript:alert(1)", "must be an absolute https URL"},
		{"data", "data:image/png;base64,AAAA", "must be an absolute https URL"},
		{"opaque https", "https:app.example.com", "must be an absolute https URL"},
		{"no host", "https:///logo.png", "must have a host"},
		{"only a port", "https://:443/logo.png", "must have a host"},
		{"user info", "https://app.example.com@evil.example/logo.png", "must not have user info"},
		{"markup", `https://app.example.com/"><script>alert(1)</script>`, "must not contain any of <>\"'`\\"},
		{"a quote", `https://app.example.com/it's`, "must not contain any of <>\"'`\\"},
		{"a backslash", `https://app.example.com\@evil.example/`, "must not contain any of <>\"'`\\"},
		{"a space", "https://app.example.com/my logo.png", "must be visible ASCII characters only, with an internationalized host in its A-label form"},
		{"a newline", "https://app.example.com/\nlogo.png", "must be visible ASCII characters only, with an internationalized host in its A-label form"},
		{"non-ASCII host", "https://bücher.example/", "must be visible ASCII characters only, with an internationalized host in its A-label form"},
		{"too long", "https://app.example.com/" + strings.Repeat("a", 2048), "is too long"},
		{"not a URL", "https://app.example.com/%zz", "is not a URL"},
	} {
		for _, field := range []string{"LogoURI", "ClientURI", "PolicyURI", "TOSURI"} {
			t.Run(tc.name+" "+field, func(t *testing.T) {
				c := identityClient("App")
				switch field {
				case "LogoURI":
					c.LogoURI = tc.uri
				case "ClientURI":
					c.ClientURI = tc.uri
				case "PolicyURI":
					c.PolicyURI = tc.uri
				case "TOSURI":
					c.TOSURI = tc.uri
				}
				err := srv.RegisterClient(t.Context(), c)
				var fe *authserver.FieldError
				require.True(t, errors.As(err, &fe), "%v", err)
				assert.Equal(t, authserver.FieldError{Client: "identity-app", Field: field, Problem: tc.problem}, *fe)
			})
		}
	}
	c := identityClient("App")
	c.LogoURI = "https://xn--bcher-kva.example:8443/logo.svg?v=1#top"
	assert.NoError(t, srv.RegisterClient(t.Context(), c))
}

func TestErrorPageLanguage(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	for _, tc := range []struct {
		name, query, acceptLanguage, want string
	}{
		{"ui_locales of the query", "client_id=nope&ui_locales=id", "en", "id"},
		{"ui_locales with a region", "client_id=nope&ui_locales=fr+id-ID", "", "id"},
		{"Accept-Language", "client_id=nope", "id-ID,id;q=0.9", "id"},
		{"repeated ui_locales are ignored", "client_id=nope&ui_locales=id&ui_locales=id", "en", "en"},
		{"malformed ui_locales", "client_id=nope&ui_locales=%22%3E%3Cscript%3E", "", "en"},
		{"an unknown language", "client_id=nope&ui_locales=fr", "de", "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newLangClient(t, srv, tc.acceptLanguage).do(http.MethodGet, "/oauth/authorize?"+tc.query, nil)
			require.Equal(t, http.StatusBadRequest, rec.Code)
			assertLanguage(t, rec, tc.want)
			heading := map[string]string{"en": "This authorization request cannot be completed", "id": "Permintaan otorisasi ini tidak dapat diselesaikan"}[tc.want]
			details := map[string]string{"en": "Details for the application&#39;s developer:", "id": "Rincian untuk pengembang aplikasi:"}[tc.want]
			assert.Contains(t, rec.Body.String(), "<h1>"+heading+"</h1>")
			assert.Contains(t, rec.Body.String(), "<p>"+details+"</p>\n<div lang=\"en\">\n"+
				"<p id=\"error-code\">invalid_request</p>\n<p id=\"error-description\">unknown client</p>\n</div>")
			assert.NotContains(t, rec.Body.String(), "<script>")
		})
	}
}

func TestFormPostPageLanguage(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	c := newLangClient(t, srv, "id")
	c.signIn("user-alice")
	rec := c.do(http.MethodGet, "/oauth/authorize?"+with("response_mode", "form_post", "scope", "nope"), nil)
	fields, _ := formPost(t, rec, testRedirect)
	assert.Equal(t, "invalid_scope", fields.Get("error"))
	assertLanguage(t, rec, "id")
	assert.Contains(t, rec.Body.String(), "<title>Kembali ke aplikasi</title>")
	assert.Contains(t, rec.Body.String(), "<noscript><p>JavaScript dinonaktifkan. Tekan Lanjutkan untuk kembali ke aplikasi.</p>\n<button type=\"submit\">Lanjutkan</button></noscript>")

	rec = newLangClient(t, srv, "id").do(http.MethodGet, "/oauth/authorize?"+with("response_mode", "form_post", "scope", "nope", "ui_locales", "en"), nil)
	formPost(t, rec, testRedirect)
	assertLanguage(t, rec, "en")
	assert.Contains(t, rec.Body.String(), "<noscript><p>JavaScript is turned off. Press Continue to return to the application.</p>\n<button type=\"submit\">Continue</button></noscript>")
}

// A host adds a language, and replaces a text of a built-in one, without
// replacing a template; its texts are escaped like any other.
func TestHostTexts(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Browser.Texts = map[string]authserver.PageTexts{
			"jv": {ConsentHeading: "{client} pengin ngakses akun panjenengan", Allow: "Idinake", ErrorHeading: "Panyuwunan iki ora bisa dirampungake"},
			"id": {Allow: "Setuju", Deny: "<b>Tolak</b>"},
		}
	})
	jv := consentPageFor(t, srv, "jv-ID, id;q=0.5")
	assertLanguage(t, jv, "jv")
	assert.Contains(t, jv.Body.String(), "<h1>Public App pengin ngakses akun panjenengan</h1>")
	assert.Contains(t, jv.Body.String(), `id="approve">Idinake</button>`)
	assert.Contains(t, jv.Body.String(), `id="deny" class="secondary">Deny</button>`, "an empty text of a new language is English")

	id := consentPageFor(t, srv, "id").Body.String()
	assert.Contains(t, id, `id="approve">Setuju</button>`)
	assert.Contains(t, id, `id="deny" class="secondary">&lt;b&gt;Tolak&lt;/b&gt;</button>`)
	assert.Contains(t, id, "<h1>Public App ingin mengakses akun Anda</h1>", "the other texts stay built in")

	rec := newLangClient(t, srv, "jv").do(http.MethodGet, "/oauth/authorize?client_id=nope", nil)
	assertLanguage(t, rec, "jv")
	assert.Contains(t, rec.Body.String(), "<h1>Panyuwunan iki ora bisa dirampungake</h1>")
}

// Replaced templates keep their data fields and also receive the page's
// language, texts and the client's identity.
func TestHostTemplatesReceiveLanguage(t *testing.T) {
	consent := htmltemplate.Must(htmltemplate.New("c").Parse(
		`{{.Lang}}|{{.Fill .Texts.ConsentHeading}}|{{.ClientID}}|{{.ClientName}}|{{.Subject}}|{{.RedirectHost}}|{{.LogoURI}}|{{.ClientURI}}|{{.PolicyURI}}|{{.TOSURI}}|{{range .Scopes}}{{.Name}}={{.Description}};{{end}}|{{len .RequiredScopes}}|{{len .OptionalScopes}}`))
	errPage := htmltemplate.Must(htmltemplate.New("e").Parse(`{{.Lang}}|{{.Texts.ErrorHeading}}|{{.Status}}|{{.Code}}|{{.Description}}`))
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Browser.ConsentTemplate, c.Browser.ErrorTemplate = consent, errPage
		c.Scopes = append([]authserver.Scope(nil), c.Scopes...)
		c.Scopes[0].Descriptions = map[string]string{"id": "Mengakses info nama dan alamat email"}
	})
	require.NoError(t, srv.RegisterClient(t.Context(), identityClient("Mitra")))
	rec := consentPageFor(t, srv, "id", "client_id", "identity-app", "redirect_uri", "https://app.example.com:8443/callback")
	assert.Equal(t, "id|Mitra ingin mengakses akun Anda|identity-app|Mitra|user-alice|app.example.com:8443|https://cdn.example.net/logo.png|"+
		"https://app.example.com/|https://app.example.com/privacy?lang=id&amp;v=2|https://app.example.com/tos|"+
		"basic_info=Mengakses info nama dan alamat email;phone=Read your phone number;|0|2", rec.Body.String())
	assert.Equal(t, "id", rec.Header().Get("Content-Language"))

	rec = newLangClient(t, srv, "id").do(http.MethodGet, "/oauth/authorize?client_id=nope", nil)
	assert.Equal(t, "id|Permintaan otorisasi ini tidak dapat diselesaikan|400|invalid_request|unknown client", rec.Body.String())
}

func TestLanguageConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name          string
		mutate        func(*authserver.Config)
		field, reason string
	}{
		{"a malformed Texts key", func(c *authserver.Config) { c.Browser.Texts = map[string]authserver.PageTexts{"en_GB": {}} },
			`Browser.Texts["en_GB"]`, "is not a well-formed language tag (RFC 5646 §2.1)"},
		{"two keys for one language", func(c *authserver.Config) {
			c.Browser.Texts = map[string]authserver.PageTexts{"JV": {Allow: "a"}, "jv": {Allow: "b"}}
		}, `Browser.Texts["jv"]`, `is the same language as Browser.Texts["JV"]`},
		{"a default the pages do not have", func(c *authserver.Config) { c.Browser.DefaultLanguage = "fr" },
			"Browser.DefaultLanguage", `"fr" is not a language the pages have: one of en, id, or add it to Browser.Texts`},
		{"a malformed default", func(c *authserver.Config) { c.Browser.DefaultLanguage = "<id>" },
			"Browser.DefaultLanguage", `"<id>" is not a language the pages have: one of en, id, or add it to Browser.Texts`},
		{"a description in a language the pages do not have", func(c *authserver.Config) {
			c.Scopes = []authserver.Scope{{Name: "basic_info", Descriptions: map[string]string{"fr": "Lire"}}}
		}, "Scopes", `"basic_info": Descriptions["fr"] is in a language the pages do not have; add it to Browser.Texts`},
		{"a malformed description key", func(c *authserver.Config) {
			c.Scopes = []authserver.Scope{{Name: "basic_info", Descriptions: map[string]string{"i d": "x"}}}
		}, "Scopes", `"basic_info": Descriptions["i d"] is not a well-formed language tag (RFC 5646 §2.1)`},
		{"an empty description", func(c *authserver.Config) {
			c.Scopes = []authserver.Scope{{Name: "basic_info", Descriptions: map[string]string{"id": " "}}}
		}, "Scopes", `"basic_info": Descriptions["id"] is empty`},
		{"two description keys for one language", func(c *authserver.Config) {
			c.Scopes = []authserver.Scope{{Name: "basic_info", Descriptions: map[string]string{"ID": "a", "id": "b"}}}
		}, "Scopes", `"basic_info": Descriptions["id"] is the same language as another key`},
		{"texts without the browser side", func(c *authserver.Config) {
			c.Browser = authserver.Browser{Texts: map[string]authserver.PageTexts{"jv": {}}}
			c.Grants = grants("client_credentials")
			c.CheckPassword = nil
		}, "Browser.Texts", "is set but the browser side is off: set Browser.Session and Browser.LoginURL"},
		{"a default language without the browser side", func(c *authserver.Config) {
			c.Browser = authserver.Browser{DefaultLanguage: "id"}
			c.Grants = grants("client_credentials")
			c.CheckPassword = nil
		}, "Browser.DefaultLanguage", "is set but the browser side is off: set Browser.Session and Browser.LoginURL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.mutate(&cfg)
			_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			var fe *authserver.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.Equal(t, authserver.FieldError{Field: tc.field, Problem: tc.reason}, *fe)
		})
	}
	t.Run("a language added to Texts may be the default and have descriptions", func(t *testing.T) {
		cfg := testConfig()
		cfg.Browser.Texts = map[string]authserver.PageTexts{"jv": {}}
		cfg.Browser.DefaultLanguage = "jv"
		cfg.Scopes = []authserver.Scope{{Name: "basic_info", Descriptions: map[string]string{"JV": "Maca jeneng lan email"}}}
		_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
		assert.NoError(t, err)
	})
}

// The scopes New adds with OpenID Connect have Indonesian texts too.
func TestOpenIDScopesInIndonesian(t *testing.T) {
	srv, _, _ := newOIDCServer(t, nil)
	c := newLangClient(t, srv, "id")
	c.signIn("user-alice")
	rec := c.do(http.MethodGet, "/oauth/authorize?"+rpQuery(url.Values{"scope": {"openid offline_access"}, "prompt": {"consent"}}), nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `value="openid" checked> Masuk ke aplikasi dengan akun Anda <code>openid</code>`)
	assert.Contains(t, rec.Body.String(), `value="offline_access" checked> Tetap dapat mengakses akun Anda saat Anda tidak sedang memakai aplikasi <code>offline_access</code>`)
	rec = newLangClient(t, srv, "en").do(http.MethodGet, "/oauth/authorize?"+rpQuery(url.Values{"scope": {"openid"}}), nil)
	assert.Equal(t, http.StatusFound, rec.Code, "not signed in")
}

// The rules of accessible markup that a program can check without a
// browser, on every built-in page in both languages: a language, a
// viewport, a title, every visible control labelled, buttons with text,
// the logo with an alt attribute and a fixed size, and no script but the
// form_post page's one.
func TestPagesMarkupRules(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Scopes = append([]authserver.Scope(nil), c.Scopes...)
		c.Scopes[0].Required = true
	})
	require.NoError(t, srv.RegisterClient(t.Context(), identityClient("Mitra")))
	var (
		checkboxRe = regexp.MustCompile(`<input type="checkbox"[^>]*>`)
		labelledRe = regexp.MustCompile(`<label><input type="checkbox"[^>]*> [^<]+<code>[^<]+</code></label>`)
		inputRe    = regexp.MustCompile(`<input [^>]*>`)
		buttonRe   = regexp.MustCompile(`<button [^>]*>([^<]*)</button>`)
		imgRe      = regexp.MustCompile(`<img [^>]*>`)
	)
	for _, lang := range []string{"en", "id"} {
		c := newLangClient(t, srv, lang)
		c.signIn("user-alice")
		pages := map[string]string{
			"consent":   c.do(http.MethodGet, "/oauth/authorize?"+with("client_id", "identity-app", "redirect_uri", "https://app.example.com:8443/callback"), nil).Body.String(),
			"error":     c.do(http.MethodGet, "/oauth/authorize?client_id=nope", nil).Body.String(),
			"form_post": c.do(http.MethodGet, "/oauth/authorize?"+with("response_mode", "form_post", "scope", "nope"), nil).Body.String(),
		}
		for name, page := range pages {
			t.Run(lang+" "+name, func(t *testing.T) {
				assert.True(t, strings.HasPrefix(page, "<!doctype html>\n<html lang=\""+lang+"\">\n"), page)
				assert.Contains(t, page, `<meta name="viewport" content="width=device-width, initial-scale=1">`)
				assert.Regexp(t, `<title>[^<]+</title>`, page)
				assert.Equal(t, len(checkboxRe.FindAllString(page, -1)), len(labelledRe.FindAllString(page, -1)), "every checkbox is in a label with text")
				for _, in := range inputRe.FindAllString(page, -1) {
					if !strings.Contains(in, `type="hidden"`) {
						assert.Contains(t, in, `type="checkbox"`, "the only visible inputs are checkboxes")
					}
				}
				for _, b := range buttonRe.FindAllStringSubmatch(page, -1) {
					assert.NotEmpty(t, strings.TrimSpace(b[1]), "a button has text")
				}
				for _, img := range imgRe.FindAllString(page, -1) {
					assert.Contains(t, img, ` width="64" height="64" alt=""`)
				}
				if name == "form_post" {
					assert.Equal(t, 1, strings.Count(page, "<script"))
				} else {
					assert.NotContains(t, page, "<script")
					assert.Contains(t, page, "<main>")
					assert.Contains(t, page, ":root{--bg:#ffffff;", "the stylesheet is there, unchanged")
				}
			})
		}
		assert.Equal(t, 1, len(checkboxRe.FindAllString(pages["consent"], -1)), "phone; basic_info is required")
	}
}

// The form_post page after the consent page speaks the stored request's
// ui_locales, as the consent page did: the POST that leads to it carries
// none.
func TestFormPostPageLanguageAfterConsent(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	c := newLangClient(t, srv, "")
	c.signIn("user-alice")
	rec := c.do(http.MethodGet, "/oauth/authorize?"+with("response_mode", "form_post", "ui_locales", "id"), nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assertLanguage(t, rec, "id")
	form := consentForm(t, rec.Body.String())
	form.Set("decision", "approve")
	rec = c.do(http.MethodPost, "/oauth/consent", form)
	fields, _ := formPost(t, rec, testRedirect)
	assert.NotEmpty(t, fields.Get("code"))
	assertLanguage(t, rec, "id")
	assert.Contains(t, rec.Body.String(), "<title>Kembali ke aplikasi</title>")
}

// A host language that refines a built-in one ("id-ID") takes a scope's
// text of the shorter tag when it has none of its own (RFC 4647 §3.4).
func TestConsentPageScopeDescriptionOfThePrimaryLanguage(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Browser.Texts = map[string]authserver.PageTexts{"id-ID": {Allow: "Setuju"}}
		c.Scopes = []authserver.Scope{
			{Name: "basic_info", Description: "Read your name", Descriptions: map[string]string{"id": "Mengakses info nama"}},
			{Name: "phone", Description: "Read your phone number", Descriptions: map[string]string{"id": "Mengakses nomor telepon", "id-ID": "Nomor telepon Anda"}},
			{Name: "keys_op"}, {Name: "update_basic_info"},
		}
	})
	rec := consentPageFor(t, srv, "id-ID")
	assertLanguage(t, rec, "id-ID")
	page := rec.Body.String()
	assert.Contains(t, page, `value="basic_info" checked> Mengakses info nama <code>basic_info</code>`)
	assert.Contains(t, page, `value="phone" checked> Nomor telepon Anda <code>phone</code>`)
	assert.Contains(t, page, `>Setuju</button>`)
}
