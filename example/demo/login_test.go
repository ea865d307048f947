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

	"github.com/kunci/kunci/example/demo"
)

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// TestCookiesAreSecureOnHTTPS: behind an https issuer every cookie the app
// sets is Secure, HttpOnly and SameSite=Lax.
func TestCookiesAreSecureOnHTTPS(t *testing.T) {
	app, err := demo.New(t.Context(), demo.Config{Issuer: "https://auth.example.com"})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, app.Close()) })

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "https://auth.example.com/login", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	pre := rec.Result().Cookies()
	require.Len(t, pre, 1)
	assert.Equal(t, "kunci_demo_login", pre[0].Name)
	assert.Equal(t, "/login", pre[0].Path)
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
	}
	assert.Equal(t, "kunci_demo_session", cookies[0].Name)
	assert.Equal(t, "kunci_demo_login", cookies[1].Name)
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
