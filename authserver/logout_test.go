package authserver_test

import (
	"errors"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// assertSignedOutAt checks a redirect to rp's registered
// post_logout_redirect_uri with state, carrying the page headers.
func assertSignedOutAt(t *testing.T, resp *http.Response, page string, status int, state string) {
	t.Helper()
	assert.Equal(t, status, resp.StatusCode, page)
	assertPageHeaders(t, resp.Header)
	want := rpLogoutURI
	if state != "" {
		want += "?state=" + url.QueryEscape(state)
	}
	assert.Equal(t, want, resp.Header.Get("Location"))
}

// assertSignedOutPage checks kunci's own signed-out page.
func assertSignedOutPage(t *testing.T, resp *http.Response, page string) {
	t.Helper()
	assert.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assertPageHeaders(t, resp.Header)
	assert.Empty(t, resp.Header.Get("Location"))
	assert.Contains(t, page, signedOutMark)
}

// An id_token_hint of the signed-in user signs out at once, by GET (302)
// and by POST (303), and the browser goes back to the registered
// post_logout_redirect_uri with state; the host's callback gets the
// session, whose cookie it cleared.
func TestLogoutWithHintOfTheSignedInUser(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			srv, _, ends := newLogoutServer(t, nil)
			b := newRPBrowser(t, srv)
			hint := idTokenOf(t, srv, b)
			params := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {rpLogoutURI}, "state": {"af0ifjsldkj"}}
			var resp *http.Response
			var page string
			status := http.StatusFound
			if method == http.MethodGet {
				resp, page = b.do(http.MethodGet, logoutPath(params), nil)
			} else {
				// The RP's page posts the form cross-site (§2).
				resp, page = b.postWith("/oauth/logout", params, http.Header{"Sec-Fetch-Site": {"cross-site"}})
				status = http.StatusSeeOther
			}
			assertSignedOutAt(t, resp, page, status, "af0ifjsldkj")
			require.Len(t, ends.calls, 1)
			assert.Equal(t, "user-alice", ends.calls[0].Subject)
			assert.Equal(t, "sid-7", ends.calls[0].ID)
			// The host's session is gone: the next request is anonymous.
			resp, page = b.do(http.MethodGet, logoutPath(url.Values{"client_id": {rpID}}), nil)
			assertSignedOutPage(t, resp, page)
			assert.Len(t, ends.calls, 1)
		})
	}
}

// A hint that expired long ago is accepted (§4), and client_id may name
// its audience beside it.
func TestLogoutAcceptsAnExpiredHint(t *testing.T) {
	srv, _, ends := newLogoutServer(t, nil)
	b := newRPBrowser(t, srv)
	hint := mintIDToken(t, oidcRSAKey(), hintClaims("user-alice"))
	resp, page := b.do(http.MethodGet, logoutPath(url.Values{"id_token_hint": {hint}, "client_id": {rpID},
		"post_logout_redirect_uri": {rpLogoutURI}}), nil)
	assertSignedOutAt(t, resp, page, http.StatusFound, "")
	assert.Equal(t, []string{"user-alice"}, ends.subjects())
}

// A hint that this server did not issue to a client, or a client_id that
// contradicts it, is invalid_request on the error page: never a redirect,
// and nobody is signed out.
func TestLogoutRefusesBadHints(t *testing.T) {
	srv, _, ends := newLogoutServer(t, nil)
	other, err := authserver.GenerateSigningKey(jose.RS256)
	require.NoError(t, err)
	other.KeyID = oidcRSAKey().KeyID
	foreignIss := hintClaims("user-alice")
	foreignIss["iss"] = "https://evil.example.com"
	noSub := hintClaims("user-alice")
	delete(noSub, "sub")
	unknownAud := hintClaims("user-alice")
	unknownAud["aud"] = "no-such-client"
	twoAud := hintClaims("user-alice")
	twoAud["aud"] = []string{rpID, confidentialID}
	notHint := "not a jwt"
	const notOurs = "id_token_hint is not an ID Token this server issued"
	cases := []struct {
		name   string
		params url.Values
		desc   string
	}{
		{"a hint signed with another key under our key ID", url.Values{"id_token_hint": {mintIDToken(t, other, hintClaims("user-alice"))}}, notOurs},
		{"a hint of another issuer", url.Values{"id_token_hint": {mintIDToken(t, oidcRSAKey(), foreignIss)}}, notOurs},
		{"a hint without sub", url.Values{"id_token_hint": {mintIDToken(t, oidcRSAKey(), noSub)}}, notOurs},
		{"a hint that is no JWT", url.Values{"id_token_hint": {notHint}}, notOurs},
		{"a client_id that contradicts the hint", url.Values{"id_token_hint": {mintIDToken(t, oidcRSAKey(), hintClaims("user-alice"))},
			"client_id": {confidentialID}, "post_logout_redirect_uri": {rpLogoutURI}}, "client_id is not the audience of id_token_hint"},
		{"a hint of an unknown client", url.Values{"id_token_hint": {mintIDToken(t, oidcRSAKey(), unknownAud)}}, "unknown client"},
		{"a hint of two audiences without client_id", url.Values{"id_token_hint": {mintIDToken(t, oidcRSAKey(), twoAud)}}, "id_token_hint has several audiences: send client_id"},
		{"an unknown client_id", url.Values{"client_id": {"no-such-client"}, "post_logout_redirect_uri": {rpLogoutURI}}, "unknown client"},
		{"a post_logout_redirect_uri of no client", url.Values{"post_logout_redirect_uri": {rpLogoutURI}}, "post_logout_redirect_uri needs client_id or id_token_hint"},
		{"a repeated state", url.Values{"client_id": {rpID}, "state": {"a", "b"}}, "a parameter is repeated"},
		{"a state with a control character", url.Values{"client_id": {rpID}, "state": {"a\nb"}}, "malformed state"},
		{"ui_locales too long", url.Values{"client_id": {rpID}, "ui_locales": {strings.Repeat("id ", 400)}}, "ui_locales is malformed or too long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newRPBrowser(t, srv)
			resp, page := b.do(http.MethodGet, logoutPath(tc.params), nil)
			assertErrorPage(t, resp, page, http.StatusBadRequest, authserver.CodeInvalidRequest, tc.desc)
			resp, page = b.do(http.MethodPost, "/oauth/logout", tc.params)
			assertErrorPage(t, resp, page, http.StatusBadRequest, authserver.CodeInvalidRequest, tc.desc)
		})
	}
	assert.Empty(t, ends.calls)
}

// Without a hint, the signed-in user confirms on the logout page first;
// the page's form signs out and goes back to the registered URI with
// state. The page names the user and the client, and a GET alone signs
// nobody out.
func TestLogoutWithoutHintAsksFirst(t *testing.T) {
	srv, _, ends := newLogoutServer(t, nil)
	b := newRPBrowser(t, srv)
	resp, page := b.do(http.MethodGet, logoutPath(url.Values{"client_id": {rpID},
		"post_logout_redirect_uri": {rpLogoutURI}, "state": {"st-1"}}), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assertPageHeaders(t, resp.Header)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, page, logoutMark)
	assert.Contains(t, page, `<strong id="subject">user-alice</strong>`)
	assert.Contains(t, page, `<strong id="client">Relying Party</strong>`)
	assert.Contains(t, page, `<form method="post" action="/oauth/logout">`)
	assert.Empty(t, ends.calls)

	form := logoutForm(t, page)
	assert.Equal(t, url.Values{"client_id": {rpID}, "post_logout_redirect_uri": {rpLogoutURI}, "state": {"st-1"},
		"csrf_token": {form.Get("csrf_token")}}, form)
	resp, page = b.postWith("/oauth/logout", form, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {"null"}})
	assertSignedOutAt(t, resp, page, http.StatusSeeOther, "st-1")
	assert.Equal(t, []string{"user-alice"}, ends.subjects())
}

// A hint that names another user than the one signed in does not sign
// anyone out at once: the signed-in user is asked.
func TestLogoutHintOfAnotherUserAsks(t *testing.T) {
	srv, _, ends := newLogoutServer(t, nil)
	b := newRPBrowser(t, srv)
	hint := idTokenOf(t, srv, b)
	b.signIn("user-bob")
	resp, page := b.do(http.MethodGet, logoutPath(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {rpLogoutURI}}), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, `<strong id="subject">user-bob</strong>`)
	assert.Empty(t, ends.calls)
	resp, page = b.do(http.MethodPost, "/oauth/logout", logoutForm(t, page))
	assertSignedOutAt(t, resp, page, http.StatusSeeOther, "")
	assert.Equal(t, []string{"user-bob"}, ends.subjects())
}

// A post_logout_redirect_uri the client did not register, or one whose
// client nobody names, is never redirected to: the user signs out and
// sees kunci's page.
func TestLogoutNeverRedirectsToAnUnregisteredURI(t *testing.T) {
	srv, _, ends := newLogoutServer(t, nil)
	b := newRPBrowser(t, srv)
	hint := idTokenOf(t, srv, b)
	for _, uri := range []string{"https://evil.example.com/", rpLogoutURI + "/", testRedirect} {
		b.signIn("user-alice")
		resp, page := b.do(http.MethodGet, logoutPath(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {uri}, "state": {"s"}}), nil)
		assertSignedOutPage(t, resp, page)
	}
	assert.Equal(t, []string{"user-alice", "user-alice", "user-alice"}, ends.subjects())

	// Without client_id or a hint no URI is the client's: the request is
	// refused (§2) and nobody is signed out.
	b.signIn("user-alice")
	resp, page := b.do(http.MethodGet, logoutPath(url.Values{"post_logout_redirect_uri": {rpLogoutURI}}), nil)
	assertErrorPage(t, resp, page, http.StatusBadRequest, authserver.CodeInvalidRequest, "post_logout_redirect_uri needs client_id or id_token_hint")
	assert.Len(t, ends.calls, 3)
}

// Nobody signed in: nothing to end, and the browser still goes to the
// registered URI, or to the signed-out page.
func TestLogoutWhenNobodyIsSignedIn(t *testing.T) {
	srv, _, ends := newLogoutServer(t, nil)
	b := newBrowser(t, srv)
	resp, page := b.do(http.MethodGet, logoutPath(url.Values{"client_id": {rpID}, "post_logout_redirect_uri": {rpLogoutURI}, "state": {"x"}}), nil)
	assertSignedOutAt(t, resp, page, http.StatusFound, "x")
	resp, page = b.do(http.MethodGet, "/oauth/logout", nil)
	assertSignedOutPage(t, resp, page)
	assert.Empty(t, ends.calls)
}

// The logout form signs out only when posted from its own page, by the
// browser that loaded it, for the user it was shown to, unchanged: each
// other submission is a 403 page and signs nobody out, and a POST without
// the form's token is a new request that shows the page again.
func TestLogoutFormCSRF(t *testing.T) {
	srv, _, ends := newLogoutServer(t, nil)
	b := newRPBrowser(t, srv)
	resp, page := b.do(http.MethodGet, logoutPath(url.Values{"client_id": {rpID}, "post_logout_redirect_uri": {rpLogoutURI}, "state": {"s1"}}), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	form := logoutForm(t, page)
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range form {
			f[key] = vs
		}
		f.Set(k, v)
		return f
	}
	const invalid = "this logout form is not valid"
	cases := []struct {
		name   string
		from   *browser
		form   url.Values
		header http.Header
		desc   string
	}{
		{"a cross-site post", b, form, http.Header{"Sec-Fetch-Site": {"cross-site"}}, "a logout form may be submitted only from its own page"},
		{"a post from another origin", b, form, http.Header{"Origin": {"https://evil.example.com"}}, "a logout form may be submitted only from its own page"},
		{"a wrong token", b, with("csrf_token", "AAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), nil, invalid},
		{"a malformed token", b, with("csrf_token", "x"), nil, invalid},
		{"a changed state", b, with("state", "s2"), nil, invalid},
		{"a changed redirect URI", b, with("post_logout_redirect_uri", ""), nil, invalid},
		{"an unknown field", b, with("extra", "1"), nil, invalid},
		{"another browser", b.otherBrowser(), form, nil, "this logout form was opened in another browser"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.from != b {
				tc.from.signIn("user-alice")
			}
			resp, page := tc.from.postWith("/oauth/logout", tc.form, tc.header)
			assertErrorPage(t, resp, page, http.StatusForbidden, authserver.CodeAccessDenied, tc.desc)
		})
	}
	t.Run("another user signed in", func(t *testing.T) {
		b.signIn("user-bob")
		resp, page := b.postWith("/oauth/logout", form, nil)
		assertErrorPage(t, resp, page, http.StatusForbidden, authserver.CodeAccessDenied, invalid)
		b.signIn("user-alice")
	})
	t.Run("no token", func(t *testing.T) {
		f := with("csrf_token", "")
		f.Del("csrf_token")
		resp, page := b.postWith("/oauth/logout", f, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, page, logoutMark)
	})
	require.Empty(t, ends.calls)
	resp, page = b.postWith("/oauth/logout", form, nil)
	assertSignedOutAt(t, resp, page, http.StatusSeeOther, "s1")
	assert.Equal(t, []string{"user-alice"}, ends.subjects())
}

// A failing host callback is a 500 page and no redirect.
func TestLogoutCallbackError(t *testing.T) {
	srv, _, ends := newLogoutServer(t, nil)
	b := newRPBrowser(t, srv)
	hint := idTokenOf(t, srv, b)
	ends.err = errors.New("session store down")
	resp, page := b.do(http.MethodGet, logoutPath(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {rpLogoutURI}}), nil)
	assertErrorPage(t, resp, page, http.StatusInternalServerError, authserver.CodeServerError, "internal error")
}

// Other methods are refused with Allow.
func TestLogoutMethodNotAllowed(t *testing.T) {
	srv, _, _ := newLogoutServer(t, nil)
	b := newRPBrowser(t, srv)
	resp, page := b.do(http.MethodPut, "/oauth/logout", nil)
	assertErrorPage(t, resp, page, http.StatusMethodNotAllowed, authserver.CodeInvalidRequest, "method not allowed")
	assert.Equal(t, "GET, POST", resp.Header.Get("Allow"))
}

// The host's templates replace the built-in pages, and receive ui_locales.
func TestLogoutHostTemplates(t *testing.T) {
	confirm := template.Must(template.New("c").Parse(`ask {{.Subject}} {{range .UILocales}}[{{.}}]{{end}} {{.Lang}} {{.Texts.LogoutButton}}`))
	done := template.Must(template.New("d").Parse(`bye {{range .UILocales}}[{{.}}]{{end}}`))
	srv, _, _ := newLogoutServer(t, func(c *authserver.Config) {
		c.OpenID.LogoutTemplate, c.OpenID.SignedOutTemplate = confirm, done
	})
	b := newRPBrowser(t, srv)
	resp, page := b.do(http.MethodGet, logoutPath(url.Values{"ui_locales": {"id en"}}), nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ask user-alice [id][en] id Keluar", page)
	resp, page = newBrowser(t, srv).do(http.MethodGet, logoutPath(url.Values{"ui_locales": {"id"}}), nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "bye [id]", page)
}

// Discovery lists end_session_endpoint exactly when it is served; without
// OpenID.EndSession the path is not served.
func TestLogoutDiscovery(t *testing.T) {
	srv, _, _ := newLogoutServer(t, nil)
	assert.Equal(t, testIssuer+"/oauth/logout", getMetadata(t, srv, "/.well-known/openid-configuration")["end_session_endpoint"])

	plain, _, _ := newOIDCServer(t, nil)
	_, listed := getMetadata(t, plain, "/.well-known/openid-configuration")["end_session_endpoint"]
	assert.False(t, listed)
	rec := serve(plain, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/logout", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

// Logout settings that cannot work are errors naming the field.
func TestLogoutConfigErrors(t *testing.T) {
	end := func(http.ResponseWriter, *http.Request, authserver.Session) error { return nil }
	cases := []struct {
		name   string
		mutate func(*authserver.Config)
		want   string
	}{
		{"a path without OpenID Connect", func(c *authserver.Config) { c.Paths.EndSession = "/logout" },
			"authserver: config: Paths.EndSession: is set but OpenID Connect is off: set OpenID.Enabled"},
		{"a callback without OpenID Connect", func(c *authserver.Config) { c.OpenID.EndSession = end },
			"authserver: config: OpenID.EndSession: is set but OpenID Connect is off: set OpenID.Enabled"},
		{"a pairwise key without OpenID Connect", func(c *authserver.Config) { c.OpenID.PairwiseKey = make([]byte, 32) },
			"authserver: config: OpenID.PairwiseKey: is set but OpenID Connect is off: set OpenID.Enabled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.mutate(&cfg)
			_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
	oidcCases := []struct {
		name   string
		mutate func(*authserver.Config)
		want   string
	}{
		{"a path without the callback", func(c *authserver.Config) { c.Paths.EndSession = "/logout" },
			"authserver: config: Paths.EndSession: is set but OpenID.EndSession is nil, so no end_session_endpoint is served"},
		{"a template without the callback", func(c *authserver.Config) { c.OpenID.LogoutTemplate = template.New("x") },
			"authserver: config: OpenID.LogoutTemplate: is set but OpenID.EndSession is nil, so no end_session_endpoint is served"},
		{"a short pairwise key", func(c *authserver.Config) { c.OpenID.PairwiseKey = make([]byte, 31) },
			"authserver: config: OpenID.PairwiseKey: must be at least 32 bytes"},
		{"a path taken by another endpoint", func(c *authserver.Config) { c.OpenID.EndSession = end; c.Paths.EndSession = "/oauth/token" },
			`authserver: config: Paths.EndSession: "/oauth/token" is already the path of Paths.Token`},
	}
	for _, tc := range oidcCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oidcConfig()
			tc.mutate(&cfg)
			_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

// PostLogoutRedirectURIs are checked as redirect URIs, and need the
// endpoint.
func TestLogoutClientRegistration(t *testing.T) {
	srv, _, _ := newLogoutServer(t, nil)
	err := srv.RegisterClient(t.Context(), authserver.Client{ID: "rp2", Secret: rpSecret, RedirectURIs: []string{testRedirect},
		GrantTypes: grants("authorization_code"), PostLogoutRedirectURIs: []string{"http://app.example.com/out", "https://app.example.com/out#x"}})
	require.Error(t, err)
	assert.Equal(t, `authserver: client "rp2": PostLogoutRedirectURIs: "http://app.example.com/out": http is allowed only on a loopback IP address such as 127.0.0.1 or [::1] (RFC 9700 §2.1, RFC 8252 §8.3); use https`+"\n"+
		`authserver: client "rp2": PostLogoutRedirectURIs: "https://app.example.com/out#x": must not have a fragment`, err.Error())

	plain, _, _ := newOIDCServer(t, nil)
	err = plain.RegisterClient(t.Context(), authserver.Client{ID: "rp2", Secret: rpSecret, RedirectURIs: []string{testRedirect},
		GrantTypes: grants("authorization_code"), PostLogoutRedirectURIs: []string{rpLogoutURI}})
	var fe *authserver.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "PostLogoutRedirectURIs", fe.Field)
	assert.Equal(t, "are set but no end_session_endpoint is served (Config.OpenID.EndSession)", fe.Problem)
}
