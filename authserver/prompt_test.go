package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// newHostServer returns a server of the standard test config whose
// session is host's, and a browser on it.
func newHostServer(t *testing.T, host *testHost, mutate func(*authserver.Config)) (*authserver.Server, *inproc) {
	t.Helper()
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Browser.Session = host.session
		if mutate != nil {
			mutate(c)
		}
	})
	return srv, newInproc(t, srv)
}

// with returns the standard authorization request (authorizeQuery) with
// the parameters of kv, given as name, value pairs.
func with(kv ...string) string {
	extra := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		extra.Set(kv[i], kv[i+1])
	}
	return authorizeQuery(extra)
}

// prompt=none never shows a page (Core §3.1.2.1, §3.1.2.6): nobody signed
// in is login_required, no remembered approval (or one that may not be
// applied) is consent_required, and a remembered one answers with a code.
// It works on a plain OAuth 2.0 request (no openid).
func TestPromptNone(t *testing.T) {
	host := &testHost{}
	_, c := newHostServer(t, host, nil)

	rec := c.authorize(with("prompt", "none"))
	assert.Equal(t, clientError("login_required", "the user is not signed in"), atClient(t, rec, http.StatusFound, testRedirect))
	assertPageHeaders(t, rec.Header())

	host.signInNow("user-alice")
	assert.Equal(t, clientError("consent_required", "the user has not approved this request"),
		atClient(t, c.authorize(with("prompt", "none")), http.StatusFound, testRedirect))

	// The user approves once; the approval is remembered.
	atClient(t, c.approve(c.authorize(with()), "basic_info", "phone"), http.StatusSeeOther, testRedirect)
	got := atClient(t, c.authorize(with("prompt", "none")), http.StatusFound, testRedirect)
	assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)
	assert.Equal(t, "xyz-state", got.Get("state"))

	for _, tc := range []struct {
		name, query, redirect string
		want                  url.Values
	}{
		{"a scope beyond the approval", with("prompt", "none", "scope", "basic_info keys_op"), testRedirect,
			clientError("consent_required", "the user has not approved this request")},
		// RFC 8252 §8.6: a loopback redirect URI does not prove a public
		// client, so its remembered approval is not applied; the page
		// would be shown.
		{"a redirect URI that does not prove the client", with("prompt", "none", "redirect_uri", "http://127.0.0.1/cb"), "http://127.0.0.1/cb",
			clientError("consent_required", "the user has not approved this request")},
		{"none with login", with("prompt", "none login"), testRedirect,
			clientError("invalid_request", "prompt none cannot be combined with another value")},
		{"none with consent", with("prompt", "consent none"), testRedirect,
			clientError("invalid_request", "prompt none cannot be combined with another value")},
		{"an unknown value", with("prompt", "none later"), testRedirect, clientError("invalid_request", "unknown prompt value")},
		{"a value twice", with("prompt", "login login"), testRedirect, clientError("invalid_request", "prompt names login twice")},
		{"prompt repeated", authorizeQuery(url.Values{"prompt": {"none", "none"}}), testRedirect,
			clientError("invalid_request", "a parameter is repeated")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, atClient(t, c.authorize(tc.query), http.StatusFound, tc.redirect))
		})
	}

	t.Run("an empty prompt is none at all", func(t *testing.T) {
		got := atClient(t, c.authorize(with("prompt", "")), http.StatusFound, testRedirect)
		assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)
	})
	t.Run("the implicit grant answers in the fragment", func(t *testing.T) {
		host.subject = ""
		q := authorizeQuery(url.Values{"response_type": {"token"}, "prompt": {"none"}, "code_challenge": nil, "code_challenge_method": nil})
		assert.Equal(t, clientError("login_required", "the user is not signed in"), atClient(t, c.authorize(q), http.StatusFound, testRedirect))
	})
}

// prompt=login sends a signed-in user to the host's login page with
// prompt=login; back from it, the session must have authenticated after
// the request began, or the client gets login_required, once: the request
// is gone, and the page is never shown twice.
func TestPromptLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		host := &testHost{}
		_, c := newHostServer(t, host, nil)
		host.signInNow("user-alice")
		atClient(t, c.approve(c.authorize(with()), "basic_info", "phone"), http.StatusSeeOther, testRedirect)
		time.Sleep(time.Hour)

		// The host ignores prompt=login and sends the browser straight back.
		q := loginPage(t, c.authorize(with("prompt", "login")))
		assert.Equal(t, url.Values{"prompt": {"login"}}, withoutReturn(q))
		rec := c.do(http.MethodGet, q.Get("return_to"), nil)
		assert.Equal(t, clientError("login_required", "the user did not sign in again after the request began"),
			atClient(t, rec, http.StatusFound, testRedirect))
		assertGone(t, c, q.Get("return_to"))

		// A sign-in at the very instant the request began is not after it.
		q = loginPage(t, c.authorize(with("prompt", "login")))
		host.signInNow("user-alice")
		assert.Equal(t, "login_required", atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect).Get("error"))

		// Nor, kept in whole seconds, is one in the second the request
		// began: it cannot tell a sign-in after the request from one
		// before it.
		time.Sleep(300 * time.Millisecond)
		q = loginPage(t, c.authorize(with("prompt", "login")))
		time.Sleep(400 * time.Millisecond)
		host.signInNow("user-alice")
		host.authTime = host.authTime.Truncate(time.Second)
		assert.Equal(t, "login_required", atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect).Get("error"))

		// The host has the user authenticate again.
		q = loginPage(t, c.authorize(with("prompt", "login")))
		time.Sleep(30 * time.Second)
		host.signInNow("user-alice")
		got := atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect)
		assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)

		// Nobody signed in: the login page is asked for a sign-in as well,
		// and the consent page comes after it, and its form is accepted.
		host.subject = ""
		q = loginPage(t, c.authorize(with("prompt", "login", "scope", "keys_op")))
		assert.Equal(t, url.Values{"prompt": {"login"}}, withoutReturn(q))
		time.Sleep(time.Second)
		host.signInNow("user-alice")
		got = atClient(t, c.approve(c.do(http.MethodGet, q.Get("return_to"), nil), "keys_op"), http.StatusSeeOther, testRedirect)
		assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)
	})
}

// prompt=consent shows the consent page although the approval is
// remembered.
func TestPromptConsent(t *testing.T) {
	host := &testHost{}
	_, c := newHostServer(t, host, nil)
	host.signInNow("user-alice")
	atClient(t, c.approve(c.authorize(with()), "basic_info", "phone"), http.StatusSeeOther, testRedirect)
	require.Equal(t, http.StatusFound, c.authorize(with()).Code, "remembered")

	rec := c.authorize(with("prompt", "consent"))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "Public App wants to access your account")
	got := atClient(t, c.approve(rec, "basic_info"), http.StatusSeeOther, testRedirect)
	assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)
}

// prompt=select_account is passed to the host's login page, even for a
// signed-in user; whoever is signed in when the browser comes back
// answers.
func TestPromptSelectAccount(t *testing.T) {
	host := &testHost{}
	_, c := newHostServer(t, host, nil)
	host.signInNow("user-alice")
	q := loginPage(t, c.authorize(with("prompt", "select_account")))
	assert.Equal(t, url.Values{"prompt": {"select_account"}}, withoutReturn(q))
	host.subject = "user-bob"
	rec := c.do(http.MethodGet, q.Get("return_to"), nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "Signed in as <strong>user-bob</strong>")

	q = loginPage(t, c.authorize(with("prompt", "select_account login")))
	assert.Equal(t, url.Values{"prompt": {"login select_account"}}, withoutReturn(q))
}

// maxAgeSetup returns a browser signed in as user-alice ten minutes ago,
// whose approvals of basic_info and phone for the public client and for
// "aged", a public client with a default_max_age of a minute, are
// remembered. Call it inside a synctest bubble.
func maxAgeSetup(t *testing.T) (*testHost, *inproc) {
	host := &testHost{}
	srv, c := newHostServer(t, host, nil)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "aged", Name: "Aged App", AuthMethod: authserver.AuthMethodNone,
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"), Scopes: []string{"basic_info", "phone", "keys_op"},
		DefaultMaxAge: time.Minute}))
	host.signInNow("user-alice")
	for _, client := range []string{publicID, "aged"} {
		atClient(t, c.approve(c.authorize(with("client_id", client)), "basic_info", "phone"), http.StatusSeeOther, testRedirect)
	}
	time.Sleep(10 * time.Minute)
	return host, c
}

// max_age (Core §3.1.2.1), and the client's default_max_age without one:
// a sign-in older than it, or of unknown age, sends the user to the login
// page with prompt=login; back from it, the sign-in must be within
// max_age, or the client gets login_required. max_age=0 is prompt=login.
func TestMaxAge(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query string
	}{
		{"within max_age", with("max_age", "3600")},
		{"a max_age beyond any sign-in", with("max_age", "99999999999999999999999999")},
		{"a max_age that overrides default_max_age", with("client_id", "aged", "max_age", "3600")},
		{"an empty max_age is none", with("max_age", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, c := maxAgeSetup(t)
				got := atClient(t, c.authorize(tc.query), http.StatusFound, testRedirect)
				assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)
			})
		})
	}

	for _, tc := range []struct {
		name  string
		query string
		stale string // why the sign-in does not do when the host sends the user back as they were
	}{
		{"older than max_age", with("max_age", "60"), "the user signed in longer ago than max_age allows"},
		{"older than default_max_age", with("client_id", "aged"), "the user signed in longer ago than max_age allows"},
		{"max_age 0", with("max_age", "0"), "the user did not sign in again after the request began"},
	} {
		t.Run(tc.name+", the user signs in again", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				host, c := maxAgeSetup(t)
				q := loginPage(t, c.authorize(tc.query))
				assert.Equal(t, url.Values{"prompt": {"login"}}, withoutReturn(q))
				time.Sleep(time.Second)
				host.signInNow("user-alice")
				time.Sleep(5 * time.Second)
				got := atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect)
				assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)
			})
		})
		t.Run(tc.name+", the host sends the user back as they were", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, c := maxAgeSetup(t)
				q := loginPage(t, c.authorize(tc.query))
				assert.Equal(t, clientError("login_required", tc.stale), atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect))
				assertGone(t, c, q.Get("return_to"))
			})
		})
	}

	t.Run("a session that does not say when the user signed in", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			host, c := maxAgeSetup(t)
			host.authTime = time.Time{}
			q := loginPage(t, c.authorize(with("max_age", "600")))
			assert.Equal(t, clientError("login_required", "the session does not say when the user signed in, which max_age needs"),
				atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect))
			assert.Equal(t, clientError("login_required", "the session does not say when the user signed in, which max_age needs"),
				atClient(t, c.authorize(with("max_age", "600", "prompt", "none")), http.StatusFound, testRedirect))
		})
	})

	t.Run("the sign-in grows too old on the consent page", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			host, c := maxAgeSetup(t)
			host.signInNow("user-alice")
			page := c.authorize(with("max_age", "60", "scope", "keys_op"))
			require.Equal(t, http.StatusOK, page.Code)
			time.Sleep(2 * time.Minute)
			assert.Equal(t, clientError("login_required", "the user signed in longer ago than max_age allows"),
				atClient(t, c.approve(page, "keys_op"), http.StatusSeeOther, testRedirect))
		})
	})

	host := &testHost{}
	_, c := newHostServer(t, host, nil)
	for _, bad := range []string{"-1", "1.5", "abc", "+5", "0x10", " 5"} {
		t.Run("max_age "+bad, func(t *testing.T) {
			assert.Equal(t, clientError("invalid_request", "max_age must be a whole number of seconds"),
				atClient(t, c.authorize(with("max_age", bad)), http.StatusFound, testRedirect))
		})
	}
}

// login_hint, acr_values and ui_locales reach the host's login page as
// the client sent them; oversized or non-ASCII hints are refused.
func TestLoginPageHints(t *testing.T) {
	host := &testHost{}
	_, c := newHostServer(t, host, nil)
	q := loginPage(t, c.authorize(with("login_hint", "alice@example.com", "acr_values", "urn:kunci:loa:2 urn:kunci:loa:3", "ui_locales", "id en-US")))
	assert.Equal(t, url.Values{"login_hint": {"alice@example.com"}, "acr_values": {"urn:kunci:loa:2 urn:kunci:loa:3"}, "ui_locales": {"id en-US"}},
		withoutReturn(q))
	assert.Equal(t, url.Values{}, withoutReturn(loginPage(t, c.authorize(with("login_hint", "")))))

	for _, tc := range []struct{ name, query, description string }{
		{"a long login_hint", with("login_hint", strings.Repeat("a", 1025)), "login_hint is malformed or too long"},
		{"a long ui_locales", with("ui_locales", strings.Repeat("id ", 342)), "ui_locales is malformed or too long"},
		{"acr_values with a control character", with("acr_values", "urn:a\x01"), "acr_values is malformed or too long"},
		{"ui_locales beyond ASCII", with("ui_locales", "ä"), "ui_locales is malformed or too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, clientError("invalid_request", tc.description), atClient(t, c.authorize(tc.query), http.StatusFound, testRedirect))
		})
	}
	t.Run("a login_hint of the longest length beyond ASCII", func(t *testing.T) {
		hint := strings.Repeat("ä", 512)
		assert.Equal(t, hint, loginPage(t, c.authorize(with("login_hint", hint))).Get("login_hint"))
	})
}

// DefaultMaxAge is a whole, positive number of seconds, at most 100 years.
func TestRegisterClientDefaultMaxAge(t *testing.T) {
	srv, st := newTestServer(t, nil)
	base := authserver.Client{ID: "c", Secret: rpSecret, RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code")}
	for _, bad := range []time.Duration{-time.Second, 1500 * time.Millisecond, 101 * 365 * 24 * time.Hour} {
		c := base
		c.DefaultMaxAge = bad
		err := srv.RegisterClient(t.Context(), c)
		require.Len(t, fieldErrors(err), 1, "%v", err)
		assert.EqualError(t, fieldErrors(err)[0],
			`authserver: client "c": DefaultMaxAge: must be zero (none) or a positive whole number of seconds, at most 100 years`, "%v", bad)
	}
	c := base
	c.DefaultMaxAge = time.Hour
	require.NoError(t, srv.RegisterClient(t.Context(), c))
	rec, err := st.Client(t.Context(), "c")
	require.NoError(t, err)
	assert.Equal(t, time.Hour, rec.DefaultMaxAge)
}
