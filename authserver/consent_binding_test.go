package authserver_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// The descriptions of the consent endpoint's 403 pages.
const (
	descCrossOrigin    = "a consent form may be submitted only from its own page"
	descOtherBrowser   = "this consent form was opened in another browser"
	descInvalidConsent = "this consent form is not valid"
)

// otherBrowser is a second browser on the same server, with its own cookie
// jar: it shares nothing with b.
func (b *browser) otherBrowser() *browser {
	b.t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(b.t, err)
	return &browser{t: b.t, base: b.base, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// postWith posts form to path with extra request headers.
func (b *browser) postWith(path string, form url.Values, header http.Header) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp, string(body)
}

// openConsent signs b in as subject, loads the consent page of a fresh
// request for the public test client and returns the form to approve it
// and the page's response.
func openConsent(t *testing.T, b *browser, subject string) (url.Values, *http.Response) {
	t.Helper()
	b.signIn(subject)
	resp, page := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	form := consentForm(t, page)
	form.Set("decision", "approve")
	return form, resp
}

// countIssued returns a config mutation that counts issued tokens into n.
func countIssued(n *int) func(*authserver.Config) {
	return func(c *authserver.Config) {
		c.Hooks.Events = func(_ context.Context, e authserver.Event) {
			if e.Kind == authserver.EventTokenIssued {
				*n++
			}
		}
	}
}

// A consent form is accepted only from the browser that loaded it: another
// browser signed in as the same subject, with or without a binding cookie
// of its own, gets a 403 page, and the refusals leave the request to be
// approved by its own browser.
func TestConsentPostBoundToTheBrowserThatLoadedThePage(t *testing.T) {
	issued := 0
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Lifetimes.Consent = -1
		countIssued(&issued)(c)
	})
	a := newBrowser(t, srv)
	implicit := url.Values{"response_type": {"token"}, "code_challenge": nil, "code_challenge_method": nil}
	a.signIn("user-alice")
	resp, page := a.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(implicit), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	form := consentForm(t, page)
	form.Set("decision", "approve")

	// Another browser, same subject, no binding cookie.
	b := a.otherBrowser()
	b.signIn("user-alice")
	resp, page = b.do(http.MethodPost, "/oauth/consent", form)
	assertErrorPage(t, resp, page, http.StatusForbidden, authserver.CodeAccessDenied, descOtherBrowser)

	// Another browser that has a binding cookie of its own, from a consent
	// page it loaded for a request of its own.
	openConsent(t, b, "user-alice")
	resp, page = b.do(http.MethodPost, "/oauth/consent", form)
	assertErrorPage(t, resp, page, http.StatusForbidden, authserver.CodeAccessDenied, descInvalidConsent)

	// Denying from another browser is refused too.
	deny := url.Values{"request_id": form["request_id"], "csrf_token": form["csrf_token"], "decision": {"deny"}}
	resp, page = b.do(http.MethodPost, "/oauth/consent", deny)
	assertErrorPage(t, resp, page, http.StatusForbidden, authserver.CodeAccessDenied, descInvalidConsent)

	// The browser that loaded the page, with the page's token but another
	// browser's binding value, is refused.
	stolen := a.otherBrowser()
	stolen.signIn("user-alice")
	u, err := url.Parse(b.base)
	require.NoError(t, err)
	stolen.client.Jar.SetCookies(u, b.client.Jar.Cookies(u))
	resp, page = stolen.do(http.MethodPost, "/oauth/consent", form)
	assertErrorPage(t, resp, page, http.StatusForbidden, authserver.CodeAccessDenied, descInvalidConsent)
	assert.Equal(t, 0, issued)

	// Cookies of the same name planted before its own (as by a sibling
	// subdomain), however many, neither hide it nor make the server try
	// them all: only the last few are tried, and its own comes last. Its
	// own browser approves it.
	planted := "__Secure-kunci_consent=" + strings.Repeat("A", 43)
	resp, _ = a.postWith("/oauth/consent", form, http.Header{"Cookie": {strings.TrimSuffix(strings.Repeat(planted+"; ", 40), "; ")}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	frag, err := url.ParseQuery(location(t, resp).Fragment)
	require.NoError(t, err)
	assert.NotEmpty(t, frag.Get("access_token"))
	assert.Equal(t, 1, issued)
}

// The binding cookie is HttpOnly, SameSite=Lax, limited to the mount and to
// a pending request's lifetime, and Secure with the "__Secure-" prefix
// unless the issuer is http on loopback in Development.
func TestConsentBindingCookieAttributes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mutate   func(*authserver.Config)
		prefix   string
		wantName string
		wantPath string
		secure   bool
	}{
		{"https issuer at the root", nil, "", "__Secure-kunci_consent", "/", true},
		{"https issuer under a prefix", nil, "/api", "__Secure-kunci_consent", "/api", true},
		{"http loopback issuer in Development", func(c *authserver.Config) {
			c.Issuer = "http://127.0.0.1:8080"
			c.Development.AllowHTTPIssuer = true
		}, "", "kunci_consent", "/", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newTestServer(t, func(c *authserver.Config) {
				c.Lifetimes.AuthRequest = 10 * time.Minute
				if tc.mutate != nil {
					tc.mutate(c)
				}
			})
			var h http.Handler = srv
			if tc.prefix != "" {
				mux := http.NewServeMux()
				mux.Handle(tc.prefix+"/", http.StripPrefix(tc.prefix, srv))
				h = mux
			}
			b := newBrowser(t, h)
			b.signIn("user-alice")
			resp, page := b.do(http.MethodGet, tc.prefix+"/oauth/authorize?"+authorizeQuery(nil), nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, page)
			cookies := resp.Cookies()
			require.Len(t, cookies, 1)
			c := cookies[0]
			assert.Equal(t, tc.wantName, c.Name)
			assert.Len(t, c.Value, 43)
			assert.Equal(t, tc.wantPath, c.Path)
			assert.Equal(t, 600, c.MaxAge)
			assert.True(t, c.HttpOnly)
			assert.Equal(t, tc.secure, c.Secure)
			assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
			assert.Empty(t, c.Domain, "host-only")
			assert.NotContains(t, page, c.Value, "the binding value never appears in the page")

			// The browser keeps its value for the next consent page.
			resp, _ = b.do(http.MethodGet, tc.prefix+"/oauth/authorize?"+authorizeQuery(nil), nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Len(t, resp.Cookies(), 1)
			assert.Equal(t, c.Value, resp.Cookies()[0].Value)
		})
	}
}

// Consent pages open in two tabs of one browser both stay valid: the
// second page reuses the browser's binding value.
func TestConsentPagesInTwoTabsBothStayValid(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Lifetimes.Consent = -1 })
	b := newBrowser(t, srv)
	first, _ := openConsent(t, b, "user-alice")
	second, _ := openConsent(t, b, "user-alice")
	require.NotEqual(t, first.Get("request_id"), second.Get("request_id"))
	for _, form := range []url.Values{first, second} {
		resp, _ := b.do(http.MethodPost, "/oauth/consent", form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.True(t, strings.HasPrefix(location(t, resp).Query().Get("code"), "kac_"))
	}
}

// A consent POST from another origin is a 403 page (RFC 9700 §4.4, RFC
// 6819 §4.4.1.8): Sec-Fetch-Site cross-site or same-site, an Origin that
// names another origin. Origin null, which browsers send under the pages'
// Referrer-Policy no-referrer, is decided by Sec-Fetch-Site and the binding
// cookie.
func TestConsentPostFromAnotherOriginIsForbidden(t *testing.T) {
	for _, tc := range []struct {
		name      string
		header    http.Header
		noCookie  bool
		wantDesc  string // empty: accepted
		wantState int
	}{
		{"Sec-Fetch-Site cross-site", http.Header{"Sec-Fetch-Site": {"cross-site"}}, false, descCrossOrigin, http.StatusForbidden},
		{"Sec-Fetch-Site same-site", http.Header{"Sec-Fetch-Site": {"same-site"}}, false, descCrossOrigin, http.StatusForbidden},
		{"Sec-Fetch-Site with a value not known", http.Header{"Sec-Fetch-Site": {"sideways"}}, false, descCrossOrigin, http.StatusForbidden},
		{"Sec-Fetch-Site sent twice", http.Header{"Sec-Fetch-Site": {"same-origin", "cross-site"}}, false, descCrossOrigin, http.StatusForbidden},
		{"cross-site with Origin null", http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"null"}}, false, descCrossOrigin, http.StatusForbidden},
		{"Origin of another site", http.Header{"Origin": {"https://evil.example"}}, false, descCrossOrigin, http.StatusForbidden},
		{"Origin of another site with same-origin", http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"same-origin"}}, false, descCrossOrigin, http.StatusForbidden},
		{"Origin of the issuer's host over http", http.Header{"Origin": {"http://auth.example.com"}}, false, descCrossOrigin, http.StatusForbidden},
		{"Origin of the issuer on another port", http.Header{"Origin": {"https://auth.example.com:8443"}}, false, descCrossOrigin, http.StatusForbidden},
		{"Origin that is not an origin", http.Header{"Origin": {"https://auth.example.com/path"}}, false, descCrossOrigin, http.StatusForbidden},
		{"Origin sent twice", http.Header{"Origin": {"https://auth.example.com", "https://evil.example"}}, false, descCrossOrigin, http.StatusForbidden},
		{"Origin null without Sec-Fetch-Site and without the cookie", http.Header{"Origin": {"null"}}, true, descOtherBrowser, http.StatusForbidden},
		{"Origin null with same-origin", http.Header{"Origin": {"null"}, "Sec-Fetch-Site": {"same-origin"}}, false, "", http.StatusSeeOther},
		{"Origin null without Sec-Fetch-Site, with the cookie", http.Header{"Origin": {"null"}}, false, "", http.StatusSeeOther},
		{"Origin of the request's host with the issuer's scheme", http.Header{"Origin": {"https://{host}"}}, false, "", http.StatusSeeOther},
		{"Origin of the issuer", http.Header{"Origin": {"https://auth.example.com"}, "Sec-Fetch-Site": {"same-origin"}}, false, "", http.StatusSeeOther},
		{"Sec-Fetch-Site none, a user-initiated request", http.Header{"Sec-Fetch-Site": {"none"}}, false, "", http.StatusSeeOther},
		{"neither header, as from a non-browser client", nil, false, "", http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			issued := 0
			srv, _ := newTestServer(t, countIssued(&issued))
			b := newBrowser(t, srv)
			form, _ := openConsent(t, b, "user-alice")
			if tc.noCookie {
				jar, err := cookiejar.New(nil)
				require.NoError(t, err)
				b.client.Jar = jar
				b.signIn("user-alice")
			}
			if o := tc.header.Get("Origin"); strings.Contains(o, "{host}") {
				tc.header.Set("Origin", strings.Replace(o, "{host}", strings.TrimPrefix(b.base, "http://"), 1))
			}
			resp, page := b.postWith("/oauth/consent", form, tc.header)
			if tc.wantDesc == "" {
				require.Equal(t, tc.wantState, resp.StatusCode, page)
				assert.True(t, strings.HasPrefix(location(t, resp).Query().Get("code"), "kac_"))
				return
			}
			assertErrorPage(t, resp, page, tc.wantState, authserver.CodeAccessDenied, tc.wantDesc)
			// Nothing was decided: the same form from the page itself still works.
			resp, _ = b.postWith("/oauth/consent", form, http.Header{"Origin": {"null"}, "Sec-Fetch-Site": {"same-origin"}})
			if tc.noCookie {
				assert.Equal(t, http.StatusForbidden, resp.StatusCode)
				return
			}
			assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
		})
	}
}
