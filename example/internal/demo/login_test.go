package demo_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/example/internal/demo"
)

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// TestCookiesAreSecureOnHTTPS: behind an https issuer every cookie the app
// sets is Secure, HttpOnly, SameSite=Lax and "__Host-" prefixed with
// Path=/ and no Domain.
func TestCookiesAreSecureOnHTTPS(t *testing.T) {
	app, err := demo.New(t.Context(), demo.Config{Issuer: "https://auth.example.com"})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, app.Close()) })

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "https://auth.example.com/login", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	pre := rec.Result().Cookies()
	require.Len(t, pre, 1)
	assert.Equal(t, "__Host-kunci_demo_login", pre[0].Name)
	m := csrfRe.FindStringSubmatch(rec.Body.String())
	require.Len(t, m, 2)

	form := url.Values{"csrf_token": {m[1]}, "username": {"budi"}, "password": {"budi-password"}}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "https://auth.example.com/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(pre[0])
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 2)
	for _, c := range append(pre, cookies...) {
		assert.True(t, c.Secure, c.Name)
		assert.True(t, c.HttpOnly, c.Name)
		assert.Equal(t, http.SameSiteLaxMode, c.SameSite, c.Name)
		assert.Equal(t, "/", c.Path, c.Name)
		assert.Empty(t, c.Domain, c.Name)
	}
	assert.Equal(t, "__Host-kunci_demo_session", cookies[0].Name)
	assert.Equal(t, "__Host-kunci_demo_login", cookies[1].Name)
	assert.Equal(t, -1, cookies[1].MaxAge, "the pre-session cookie is cleared")
}

// TestLoginTokenIsBoundToItsCookie: a token from one browser's page does
// not work with another browser's pre-session cookie.
func TestLoginTokenIsBoundToItsCookie(t *testing.T) {
	app, err := demo.New(t.Context(), demo.Config{Issuer: "http://127.0.0.1:8080"})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, app.Close()) })
	page := func() (*http.Cookie, string) {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/login", nil))
		m := csrfRe.FindStringSubmatch(rec.Body.String())
		require.Len(t, m, 2)
		return rec.Result().Cookies()[0], m[1]
	}
	cookieA, tokenA := page()
	cookieB, tokenB := page()
	assert.NotEqual(t, tokenA, tokenB)
	post := func(c *http.Cookie, token string) int {
		form := url.Values{"csrf_token": {token}, "username": {"budi"}, "password": {"budi-password"}}
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if c != nil {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		return rec.Code
	}
	assert.Equal(t, http.StatusForbidden, post(cookieB, tokenA))
	assert.Equal(t, http.StatusForbidden, post(nil, tokenA))
	assert.Equal(t, http.StatusForbidden, post(&http.Cookie{Name: "kunci_demo_login", Value: ""}, tokenA))
	assert.Equal(t, http.StatusSeeOther, post(cookieA, tokenA))
	assert.Equal(t, http.StatusSeeOther, post(cookieB, tokenB))
}

// loginPage loads /login with the given cookies and returns the
// pre-session cookie it sets (nil if none), the CSRF token and the body.
func loginPage(t *testing.T, app *demo.App, target string, cookies ...*http.Cookie) (*http.Cookie, string) {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	m := csrfRe.FindStringSubmatch(rec.Body.String())
	require.Len(t, m, 2)
	var set *http.Cookie
	for _, c := range rec.Result().Cookies() {
		set = c
	}
	return set, m[1]
}

// postLogin submits budi's password with token and cookies and returns
// the status and the cookies the response sets.
func postLogin(t *testing.T, app *demo.App, target, token string, cookies ...*http.Cookie) (int, []*http.Cookie) {
	t.Helper()
	form := url.Values{"csrf_token": {token}, "username": {"budi"}, "password": {"budi-password"}}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	return rec.Code, rec.Result().Cookies()
}

// TestLoginFormReplacesPlantedCookies: a pre-session cookie the app did
// not issue (any value of plausible length, or a real-looking nonce with a
// wrong MAC) is replaced, and the token the page shows does not work with
// the planted cookie, so whoever planted it cannot learn a matching token.
// A cookie the app issued is kept, with the same token.
func TestLoginFormReplacesPlantedCookies(t *testing.T) {
	app, err := demo.New(t.Context(), demo.Config{Issuer: "http://127.0.0.1:8080"})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, app.Close()) })

	issued, token := loginPage(t, app, "/login")
	require.NotNil(t, issued)
	assert.Equal(t, "kunci_demo_login", issued.Name)
	assert.Equal(t, "/", issued.Path)
	nonce, mac, ok := strings.Cut(issued.Value, ".")
	require.True(t, ok, issued.Value)
	assert.Len(t, nonce, 26)
	assert.Len(t, mac, 43, "base64url of an HMAC-SHA256")

	again, sameToken := loginPage(t, app, "/login", issued)
	assert.Nil(t, again, "a cookie the app issued is kept")
	assert.Equal(t, token, sameToken)

	otherMAC, _ := loginPage(t, app, "/login")
	for name, value := range map[string]string{
		"a chosen value":            "ATTACKERCHOSENVALUE0123456",
		"a chosen nonce and MAC":    "ATTACKERCHOSENVALUE0123456." + mac,
		"a MAC from another nonce":  nonce + "." + strings.SplitN(otherMAC.Value, ".", 2)[1],
		"a MAC without its nonce":   "." + mac,
		"an issued value, extended": issued.Value + "x",
	} {
		t.Run(name, func(t *testing.T) {
			planted := &http.Cookie{Name: "kunci_demo_login", Value: value}
			fresh, token := loginPage(t, app, "/login", planted)
			require.NotNil(t, fresh, "a cookie the app did not issue is replaced")
			assert.NotEqual(t, value, fresh.Value)
			assert.Equal(t, 3600, fresh.MaxAge)

			status, _ := postLogin(t, app, "/login", token, planted)
			assert.Equal(t, http.StatusForbidden, status, "the page's token does not fit the planted cookie")
			status, _ = postLogin(t, app, "/login", token, fresh)
			assert.Equal(t, http.StatusSeeOther, status, "it fits the fresh one")
		})
	}
}

// TestUnprefixedCookiesAreIgnoredOnHTTPS: behind https only "__Host-"
// cookies count, so a cookie a sibling subdomain plants under the plain
// name, even one carrying a real session ID or login nonce, does nothing.
func TestUnprefixedCookiesAreIgnoredOnHTTPS(t *testing.T) {
	const base = "https://auth.example.com"
	app, err := demo.New(t.Context(), demo.Config{Issuer: base})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, app.Close()) })

	pre, token := loginPage(t, app, base+"/login")
	require.NotNil(t, pre)
	require.Equal(t, "__Host-kunci_demo_login", pre.Name)
	unprefixed := &http.Cookie{Name: "kunci_demo_login", Value: pre.Value}
	status, _ := postLogin(t, app, base+"/login", token, unprefixed)
	assert.Equal(t, http.StatusForbidden, status)
	fresh, _ := loginPage(t, app, base+"/login", unprefixed)
	assert.NotNil(t, fresh, "the unprefixed login cookie is not reused")

	status, cookies := postLogin(t, app, base+"/login", token, pre)
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "__Host-kunci_demo_session", cookies[0].Name)
	home := func(c *http.Cookie) string {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, base+"/", nil)
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
		return rec.Body.String()
	}
	assert.Contains(t, home(cookies[0]), `Signed in as <strong id="user">budi</strong>`)
	assert.Contains(t, home(&http.Cookie{Name: "kunci_demo_session", Value: cookies[0].Value}), "Not signed in.")
}

// Issue 13: the sign-in page throttles failed passwords per user and
// address like the password grant does: after the limit, even the right
// password is refused from that address for a while, while another address
// and another user are not affected.
func TestLoginThrottlesFailedPasswordsPerUserAndAddress(t *testing.T) {
	app, err := demo.New(t.Context(), demo.Config{Issuer: "http://127.0.0.1:8080"})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, app.Close()) })
	try := func(addr, username, password string) *httptest.ResponseRecorder {
		cookie, token := loginPage(t, app, "/login")
		form := url.Values{"csrf_token": {token}, "username": {username}, "password": {password}}
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = addr
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		return rec
	}
	const attacker, other = "198.51.100.1:1000", "203.0.113.9:2000"
	for range 5 {
		// The form again with its message: 200, since a 401 would need a
		// WWW-Authenticate challenge (RFC 9110 §15.5.2) that a form is not.
		rec := try(attacker, "budi", "guess")
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Contains(t, rec.Body.String(), "Wrong username or password.")
	}
	rec := try(attacker, "budi", "budi-password")
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "60", rec.Header().Get("Retry-After"))
	assert.Contains(t, rec.Body.String(), "Too many failed sign-ins")
	assert.Equal(t, http.StatusSeeOther, try(other, "budi", "budi-password").Code)
	assert.Equal(t, http.StatusSeeOther, try(attacker, "siti", "siti-password").Code)
}
