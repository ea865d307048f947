package authserver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// browser is a cookie-jar client that does not follow redirects, so tests
// can read every 302 and 303 Location.
type browser struct {
	t      *testing.T
	client *http.Client
	base   string
}

func newBrowser(t *testing.T, h http.Handler) *browser {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, base: ts.URL, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// signIn makes the host app consider the browser signed in as subject.
func (b *browser) signIn(subject string) {
	u, _ := url.Parse(b.base)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "user", Value: subject, Path: "/"}})
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var req *http.Request
	var err error
	if form != nil {
		req, err = http.NewRequestWithContext(b.t.Context(), method, b.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, err = http.NewRequestWithContext(b.t.Context(), method, b.base+path, nil)
	}
	require.NoError(b.t, err)
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	var sb strings.Builder
	_, _ = io.Copy(&sb, resp.Body)
	return resp, sb.String()
}

var (
	hiddenRe = regexp.MustCompile(`name="(request_id|csrf_token)" value="([^"]+)"`)
)

// consentForm extracts the hidden fields of a consent page.
func consentForm(t *testing.T, page string) url.Values {
	t.Helper()
	f := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(page, -1) {
		f.Set(m[1], m[2])
	}
	require.NotEmpty(t, f.Get("request_id"), page)
	require.NotEmpty(t, f.Get("csrf_token"), page)
	return f
}

func authorizeQuery(extra url.Values) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {publicID},
		"redirect_uri":          {testRedirect},
		"state":                 {"xyz-state"},
		"scope":                 {"basic_info phone"},
		"code_challenge":        {testChallenge},
		"code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		if v == nil {
			q.Del(k)
		} else {
			q[k] = v
		}
	}
	return q.Encode()
}

// location parses the Location header of resp.
func location(t *testing.T, resp *http.Response) *url.URL {
	t.Helper()
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return u
}

func assertPageHeaders(t *testing.T, h http.Header) {
	t.Helper()
	assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
	assert.Equal(t, "frame-ancestors 'none'", h.Get("Content-Security-Policy"))
	assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
	assert.Equal(t, "no-store", h.Get("Cache-Control"))
	assert.Empty(t, h.Get("Access-Control-Allow-Origin"))
}

func TestAuthorizeLoginNeededThenConsentNeededThenCode(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	b := newBrowser(t, srv)

	// Login needed: no user yet.
	resp, _ := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assertPageHeaders(t, resp.Header)
	login := location(t, resp)
	assert.Equal(t, "/login", login.Path)
	returnTo := login.Query().Get("return_to")
	require.True(t, strings.HasPrefix(returnTo, "/oauth/authorize?request_id="), returnTo)
	assert.Equal(t, returnTo+"&cancel=1", login.Query().Get("cancel_to"))

	// Consent needed: the user signed in and comes back.
	b.signIn("user-alice")
	resp, page := b.do(http.MethodGet, returnTo, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assertPageHeaders(t, resp.Header)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, page, "Public App wants to access your account")
	assert.Contains(t, page, "Read your name and email")
	assert.Contains(t, page, "Read your phone number")
	assert.NotContains(t, page, "key pairs")

	// Approve only basic_info.
	form := consentForm(t, page)
	form.Set("decision", "approve")
	form["scope"] = []string{"basic_info"}
	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cb := location(t, resp)
	assert.Equal(t, testRedirect, cb.Scheme+"://"+cb.Host+cb.Path)
	assert.Equal(t, "xyz-state", cb.Query().Get("state"))
	assert.Equal(t, testIssuer, cb.Query().Get("iss"))
	code := cb.Query().Get("code")
	require.True(t, strings.HasPrefix(code, "kac_"), code)

	// NU.ID version 2: public client, grant_type, no secret.
	resp2 := postForm(t, srv, "/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"client_id": {publicID}, "code_verifier": {testVerifier},
	}, "")
	require.Equal(t, http.StatusOK, resp2.Code, resp2.Body.String())
	body := decodeJSON(t, resp2)
	assert.Equal(t, "basic_info", body["scope"])
	assert.NotEmpty(t, body["refresh_token"])
	info, err := srv.VerifyAccessToken(t.Context(), body["access_token"].(string))
	require.NoError(t, err)
	assert.Equal(t, "user-alice", info.Subject)
	assert.Equal(t, []string{"basic_info"}, info.Scopes)

	// Replaying the consent form mints nothing.
	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Remembered consent: the same scopes again skip the page.
	resp, _ = b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"scope": {"basic_info"}}), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	cb = location(t, resp)
	assert.True(t, strings.HasPrefix(cb.Query().Get("code"), "kac_"))
	assert.Equal(t, testIssuer, cb.Query().Get("iss"))

	// More scopes than remembered: the page again.
	resp, page = b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "Read your phone number")

	// Revoked consent: the page again, even for basic_info alone.
	require.NoError(t, srv.RevokeConsent(t.Context(), "user-alice", publicID))
	resp, _ = b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"scope": {"basic_info"}}), nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestAuthorizeDeny(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	b := newBrowser(t, srv)
	b.signIn("user-alice")
	resp, page := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	form := consentForm(t, page)
	form.Set("decision", "deny")
	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cb := location(t, resp)
	assert.Equal(t, "access_denied", cb.Query().Get("error"))
	assert.Equal(t, "xyz-state", cb.Query().Get("state"))
	assert.Equal(t, testIssuer, cb.Query().Get("iss"))
	assert.Empty(t, cb.Query().Get("code"))
}

func TestConsentTamperedForeignOrReplayed(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	issued := 0
	srv2, _ := newTestServer(t, func(c *authserver.Config) {
		c.Hooks.Events = func(_ context.Context, e authserver.Event) {
			if e.Kind == authserver.EventTokenIssued {
				issued++
			}
		}
	})
	_ = srv
	b := newBrowser(t, srv2)
	b.signIn("user-alice")
	_, page := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"response_type": {"token"}, "code_challenge": nil, "code_challenge_method": nil}), nil)
	good := consentForm(t, page)
	good.Set("decision", "approve")

	tampered := url.Values{}
	for k, v := range good {
		tampered[k] = v
	}
	tampered.Set("csrf_token", good.Get("csrf_token")+"x")
	resp, _ := b.do(http.MethodPost, "/oauth/consent", tampered)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Another user cannot submit alice's form.
	b.signIn("user-mallory")
	resp, _ = b.do(http.MethodPost, "/oauth/consent", good)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	b.signIn("user-alice")

	resp, _ = b.do(http.MethodGet, "/oauth/consent", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	resp, _ = b.do(http.MethodPost, "/oauth/consent", good)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = b.do(http.MethodPost, "/oauth/consent", good)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, 1, issued, "only the one valid submission mints a token")
}

func TestImplicitFragment(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Lifetimes.Consent = -1 })
	b := newBrowser(t, srv)
	b.signIn("user-alice")
	_, page := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"response_type": {"token"}, "code_challenge": nil, "code_challenge_method": nil}), nil)
	form := consentForm(t, page)
	form.Set("decision", "approve")
	form["scope"] = []string{"basic_info", "phone"}
	resp, _ := b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cb := location(t, resp)
	assert.Empty(t, cb.RawQuery)
	frag, err := url.ParseQuery(cb.Fragment)
	require.NoError(t, err)
	assert.Equal(t, "Bearer", frag.Get("token_type"))
	assert.Equal(t, "1800", frag.Get("expires_in"))
	assert.Equal(t, "xyz-state", frag.Get("state"))
	assert.Equal(t, testIssuer, frag.Get("iss"))
	assert.False(t, frag.Has("refresh_token"))
	assert.False(t, frag.Has("scope"), "scope is sent only when it differs from the request")
	info, err := srv.VerifyAccessToken(t.Context(), frag.Get("access_token"))
	require.NoError(t, err)
	assert.Equal(t, []string{"basic_info", "phone"}, info.Scopes)

	// ConsentTTL < 0: nothing is remembered, so the page comes again.
	resp, _ = b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"response_type": {"token"}, "code_challenge": nil, "code_challenge_method": nil}), nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestConsentSSO(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Scopes = append(c.Scopes,
			authserver.Scope{Name: "name", Description: "Your name"},
			authserver.Scope{Name: "email", Description: "Your email"},
			authserver.Scope{Name: "prakerjaid", Description: "Your Prakerja ID"},
			authserver.Scope{Name: "notelp", Description: "Your phone number"})
	})
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{
		ID: "partner", Secret: "partner-secret-0123456789", Name: "Mitra Pelatihan", PKCEOptional: true,
		RedirectURIs: []string{"https://partner.example/sso/callback"}, LoginURIs: []string{"https://partner.example/login"},
		GrantTypes: grants("authorization_code"), Scopes: []string{"name", "email", "prakerjaid", "notelp"},
	}))
	sso := func(extra url.Values) string {
		q := url.Values{
			"client_id":    {"partner"},
			"client_name":  {"Mitra Pelatihan"},
			"login_uri":    {"https://partner.example/login"},
			"redirect_uri": {"https://partner.example/sso/callback"},
			"scope":        {"name email prakerjaid notelp"},
			"state":        {"partner-state-1"},
		}
		for k, v := range extra {
			q[k] = v
		}
		return "/consent-sso?" + q.Encode()
	}
	b := newBrowser(t, srv)

	// Login needed, then the user abandons sign-in: back to login_uri.
	resp, _ := b.do(http.MethodGet, sso(nil), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	cancel := location(t, resp).Query().Get("cancel_to")
	resp, _ = b.do(http.MethodGet, cancel, nil)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back := location(t, resp)
	assert.Equal(t, "https://partner.example/login", back.Scheme+"://"+back.Host+back.Path)
	assert.Equal(t, "partner-state-1", back.Query().Get("state"))
	assert.Equal(t, "access_denied", back.Query().Get("error"))
	assert.Equal(t, testIssuer, back.Query().Get("iss"))

	// Consent needed: the registered name and every scope are shown.
	b.signIn("user-budi")
	resp, page := b.do(http.MethodGet, sso(nil), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "Mitra Pelatihan wants")
	for _, d := range []string{"Your name", "Your email", "Your Prakerja ID", "Your phone number"} {
		assert.Contains(t, page, d)
	}
	form := consentForm(t, page)
	form.Set("decision", "approve")
	form["scope"] = []string{"name", "email", "prakerjaid", "notelp"}
	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cb := location(t, resp)
	assert.Equal(t, "partner-state-1", cb.Query().Get("state"))
	code := cb.Query().Get("code")
	tok := postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {"https://partner.example/sso/callback"}}, basic("partner", "partner-secret-0123456789"))
	require.Equal(t, http.StatusOK, tok.Code, tok.Body.String())

	// A client_name that is not the registered one is an error page.
	resp, page = b.do(http.MethodGet, sso(url.Values{"client_name": {"<b>Evil</b>"}}), nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Location"))
	assert.NotContains(t, page, "<b>Evil</b>")
	// So is an unregistered login_uri.
	resp, _ = b.do(http.MethodGet, sso(url.Values{"login_uri": {"https://evil.example/"}}), nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestAuthorizeErrors(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	cases := []struct {
		name      string
		query     url.Values
		wantPage  bool // 400 page, no redirect
		wantError string
		wantState string
	}{
		{"unknown client is a page", url.Values{"client_id": {"nobody"}}, true, "", ""},
		{"missing client_id is a page", url.Values{"client_id": nil}, true, "", ""},
		{"unregistered redirect is a page", url.Values{"redirect_uri": {"https://evil.example/cb"}}, true, "", ""},
		{"redirect with a suffix is a page", url.Values{"redirect_uri": {testRedirect + "/x"}}, true, "", ""},
		{"redirect with extra query is a page", url.Values{"redirect_uri": {testRedirect + "?a=1"}}, true, "", ""},
		{"repeated client_id is a page", url.Values{"client_id": {publicID, publicID}}, true, "", ""},
		{"missing redirect with two registered is a page", url.Values{"redirect_uri": nil}, true, "", ""},
		{"missing response_type", url.Values{"response_type": nil}, false, "invalid_request", "xyz-state"},
		{"unknown response_type", url.Values{"response_type": {"code id_token"}}, false, "unsupported_response_type", "xyz-state"},
		{"unknown scope", url.Values{"scope": {"basic_info admin"}}, false, "invalid_scope", "xyz-state"},
		{"malformed scope", url.Values{"scope": {"basic_info  phone"}}, false, "invalid_scope", "xyz-state"},
		{"missing PKCE for a public client", url.Values{"code_challenge": nil, "code_challenge_method": nil}, false, "invalid_request", "xyz-state"},
		{"plain PKCE is off", url.Values{"code_challenge_method": {"plain"}}, false, "invalid_request", "xyz-state"},
		{"PKCE method defaults to plain", url.Values{"code_challenge_method": nil}, false, "invalid_request", "xyz-state"},
		{"malformed challenge", url.Values{"code_challenge": {"short"}}, false, "invalid_request", "xyz-state"},
		{"repeated state", url.Values{"state": {"a", "b"}}, false, "invalid_request", ""},
		{"oversized state is not echoed", url.Values{"state": {strings.Repeat("s", 2000)}}, false, "invalid_request", ""},
		{"invalid UTF-8", url.Values{"scope": {"basic_info\xff"}}, false, "invalid_request", "xyz-state"},
		{"resource not allowed", url.Values{"resource": {"https://api.example.com/"}}, false, "invalid_target", "xyz-state"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(tc.query), nil)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			assertPageHeaders(t, rec.Header())
			if tc.wantPage {
				assert.Equal(t, http.StatusBadRequest, rec.Code)
				assert.Empty(t, rec.Header().Get("Location"))
				assert.Contains(t, rec.Body.String(), "invalid_request")
				return
			}
			require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
			u, err := url.Parse(rec.Header().Get("Location"))
			require.NoError(t, err)
			assert.Equal(t, testRedirect, u.Scheme+"://"+u.Host+u.Path)
			assert.Equal(t, tc.wantError, u.Query().Get("error"))
			assert.Equal(t, tc.wantState, u.Query().Get("state"))
			assert.Equal(t, testIssuer, u.Query().Get("iss"))
		})
	}
}

func TestAuthorizeConfidentialClientRules(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	// Implicit is opt-in: the confidential app did not register it.
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{
		"client_id": {confidentialID}, "response_type": {"token"}}), nil)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	require.Equal(t, http.StatusFound, rec.Code)
	u, _ := url.Parse(rec.Header().Get("Location"))
	frag, _ := url.ParseQuery(u.Fragment)
	assert.Equal(t, "unauthorized_client", frag.Get("error"), "implicit errors go in the fragment")

	// Confidential clients need PKCE too unless they opted out.
	req = httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{
		"client_id": {confidentialID}, "code_challenge": nil, "code_challenge_method": nil}), nil)
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	require.Equal(t, http.StatusFound, rec.Code)
	u, _ = url.Parse(rec.Header().Get("Location"))
	assert.Equal(t, "invalid_request", u.Query().Get("error"))
}

func TestAuthorizePostWithQueryParameters(t *testing.T) {
	// Apigee POSTs to the authorization endpoint with the parameters in the
	// query string.
	srv, _ := newTestServer(t, nil)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/oauth/authorize?"+authorizeQuery(nil), nil)
	req.AddCookie(&http.Cookie{Name: "user", Value: "user-alice"})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "Public App wants")
}

func TestAuthorizeUnderPrefix(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", srv))
	b := newBrowser(t, mux)
	resp, _ := b.do(http.MethodGet, "/api/oauth/authorize?"+authorizeQuery(nil), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	returnTo := location(t, resp).Query().Get("return_to")
	require.True(t, strings.HasPrefix(returnTo, "/api/oauth/authorize?request_id="), returnTo)
	b.signIn("user-alice")
	resp, page := b.do(http.MethodGet, returnTo, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `action="/api/oauth/consent"`)
	form := consentForm(t, page)
	form.Set("decision", "approve")
	resp, _ = b.do(http.MethodPost, "/api/oauth/consent", form)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

// A prefix that a browser would read as another origin is dropped from the
// login page's return_to and cancel_to: "//host", a backslash, and a
// control character, which the browser's URL parser removes ("/\t/host"
// is "//host" to it). A plain multi-segment prefix is kept.
func TestAuthorizeUnderAWildcardPrefix(t *testing.T) {
	srv, _ := newTestServer(t, nil) // nobody signed in
	mux := http.NewServeMux()
	mux.HandleFunc("/{org}/{app}/", func(w http.ResponseWriter, r *http.Request) {
		http.StripPrefix("/"+r.PathValue("org")+"/"+r.PathValue("app"), srv).ServeHTTP(w, r)
	})
	for seg, want := range map[string]string{
		"acme/shop":        "/acme/shop/oauth/authorize?request_id=",
		"%09/evil.example": "/oauth/authorize?request_id=",
		"%0A/evil.example": "/oauth/authorize?request_id=",
		"%0D/evil.example": "/oauth/authorize?request_id=",
		"%7F/evil.example": "/oauth/authorize?request_id=",
		"%5C/evil.example": "/oauth/authorize?request_id=",
	} {
		t.Run(seg, func(t *testing.T) {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/"+seg+"/oauth/authorize?"+authorizeQuery(nil), nil)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
			loc, err := url.Parse(rec.Header().Get("Location"))
			require.NoError(t, err)
			for _, name := range []string{"return_to", "cancel_to"} {
				assert.True(t, strings.HasPrefix(loc.Query().Get(name), want), "%s %q", name, loc.Query().Get(name))
			}
		})
	}
}

// Without the browser side the authorization endpoint is not served, and a
// config that asks for the code grant anyway is an error from New.
func TestAuthorizeNotServedWithoutBrowser(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Browser = authserver.Browser{}
		c.Grants = []authserver.GrantType{authserver.GrantClientCredentials, authserver.GrantPassword}
	})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

func TestAuthorizeMoreCases(t *testing.T) {
	custom := template.Must(template.New("consent").Parse(`CUSTOM {{.ClientName}} {{range .Scopes}}[{{.Name}}]{{end}} <form><input type="hidden" name="request_id" value="{{.RequestID}}"><input type="hidden" name="csrf_token" value="{{.CSRFToken}}"></form>`))
	customErr := template.Must(template.New("error").Parse(`OOPS {{.Status}} {{.Code}}`))
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Browser.ConsentTemplate, c.Browser.ErrorTemplate = custom, customErr
	})
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "one-uri", Secret: "one-uri-secret-0123456",
		RedirectURIs: []string{"https://one.example/cb?app=1"}, GrantTypes: grants("authorization_code"),
		Scopes: []string{"basic_info"}, Resources: []string{"https://api.example.com/"}}))
	b := newBrowser(t, srv)
	b.signIn("user-alice")

	t.Run("host templates replace the built-in pages", func(t *testing.T) {
		resp, page := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.True(t, strings.HasPrefix(page, "CUSTOM Public App [basic_info][phone]"), page)
		resp, page = b.do(http.MethodGet, "/oauth/authorize?client_id=nobody", nil)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, "OOPS 400 invalid_request", page)
	})
	t.Run("an oversized scope is refused by redirect", func(t *testing.T) {
		resp, _ := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"scope": {strings.Repeat("basic_info ", 300)}}), nil)
		require.Equal(t, http.StatusFound, resp.StatusCode)
		assert.Equal(t, "invalid_scope", location(t, resp).Query().Get("error"))
	})
	t.Run("redirect_uri may be left out when one is registered, and a resource reaches aud", func(t *testing.T) {
		q := url.Values{"response_type": {"code"}, "client_id": {"one-uri"}, "scope": {"basic_info"}, "state": {"s"},
			"code_challenge": {testChallenge}, "code_challenge_method": {"S256"}, "resource": {"https://api.example.com/"}}
		resp, page := b.do(http.MethodGet, "/oauth/authorize?"+q.Encode(), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, page)
		form := consentForm(t, page)
		form.Set("decision", "approve")
		form.Set("scope", "basic_info")
		resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assertPageHeaders(t, resp.Header)
		cb := location(t, resp)
		assert.Equal(t, "https://one.example/cb", cb.Scheme+"://"+cb.Host+cb.Path)
		assert.Equal(t, "1", cb.Query().Get("app"), "the registered URI's own query is kept")
		code := cb.Query().Get("code")
		// No redirect_uri in the authorization request, none needed now.
		rec := postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"code_verifier": {testVerifier}}, basic("one-uri", "one-uri-secret-0123456"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		info, err := srv.VerifyAccessToken(t.Context(), decodeJSON(t, rec)["access_token"].(string))
		require.NoError(t, err)
		assert.Equal(t, []string{"https://api.example.com/"}, info.Audience)
	})
}

// The host's Session is what the grant records: its AuthTime becomes the
// auth_time of the JWT access tokens of the grant (RFC 9068 §2.2.1), and a
// session that does not know when the user authenticated gives none.
func TestSessionAuthTimeReachesTheGrant(t *testing.T) {
	for _, tc := range []struct {
		name     string
		authTime time.Time
		want     any
	}{
		{"known", testAuthTime, float64(testAuthTime.Unix())},
		{"unknown", time.Time{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newTestServer(t, func(c *authserver.Config) {
				c.JWT.SigningKeys = []jose.JSONWebKey{genKey(t, jose.ES256)}
				c.Browser.Session = func(*http.Request) (authserver.Session, bool) {
					return authserver.Session{Subject: "user-alice", AuthTime: tc.authTime, ACR: "urn:x:loa:2", AMR: []string{"pwd"}, ID: "sid-1"}, true
				}
			})
			require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "jwt-web", Secret: confidentialPass,
				RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"), Scopes: []string{"basic_info"},
				AccessTokenFormat: authserver.TokenFormatJWT}))
			b := newBrowser(t, srv)
			resp, page := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"client_id": {"jwt-web"}, "scope": {"basic_info"}}), nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, page)
			form := consentForm(t, page)
			form.Set("decision", "approve")
			form.Set("scope", "basic_info")
			resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			code := location(t, resp).Query().Get("code")
			body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic("jwt-web", confidentialPass)))
			parts := strings.Split(str(body, "access_token"), ".")
			require.Len(t, parts, 3)
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			require.NoError(t, err)
			var claims map[string]any
			require.NoError(t, json.Unmarshal(payload, &claims))
			assert.Equal(t, "user-alice", claims["sub"])
			assert.Equal(t, tc.want, claims["auth_time"])
		})
	}
}

// RFC 7591 §2.1: a client whose registered response_types omit "token" is
// refused response_type=token even when its grant types include implicit.
func TestAuthorizeChecksRegisteredResponseTypes(t *testing.T) {
	srv, st := newTestServer(t, nil)
	require.NoError(t, st.SaveClient(t.Context(), store.Client{ID: "code-only", AuthMethod: "none",
		RedirectURIs: []string{testRedirect}, GrantTypes: []string{"authorization_code", "implicit"},
		ResponseTypes: []string{"code"}, Scopes: []string{"basic_info"}}))
	b := newBrowser(t, srv)
	resp, _ := b.do(http.MethodGet, "/oauth/authorize?"+url.Values{"response_type": {"token"}, "client_id": {"code-only"},
		"redirect_uri": {testRedirect}, "state": {"s"}}.Encode(), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	frag, err := url.ParseQuery(location(t, resp).Fragment)
	require.NoError(t, err)
	assert.Equal(t, "unauthorized_client", frag.Get("error"))
	assert.Equal(t, "s", frag.Get("state"))
}
