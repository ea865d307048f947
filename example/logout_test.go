package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openIDSignIn signs budi in at nuid-web with scope openid (OpenID Connect
// Core §3.1) and returns the ID Token of the code exchange.
func (e *env) openIDSignIn() string {
	e.t.Helper()
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	resp, page := e.get("/oauth/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {webID}, "redirect_uri": {e.base + "/callback"},
		"scope": {"openid"}, "state": {"s"}, "nonce": {"n"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}.Encode())
	require.Equal(e.t, http.StatusFound, resp.StatusCode, page)
	next := e.location(resp)
	if next.Path == "/login" {
		next = e.signInAt(next, userName, userPassword)
	}
	resp, page = e.get(next.String())
	require.Equal(e.t, http.StatusOK, resp.StatusCode, page)
	cb := e.decide(page, "approve", "openid")
	code := cb.Query().Get("code")
	require.NotEmpty(e.t, code, cb.String())
	resp, body := e.basicPost("/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {e.base + "/callback"},
		"code_verifier": {verifier},
	}, webID, webSecret)
	tok := tokenResponse(e.t, resp, body)
	idToken, ok := tok["id_token"].(string)
	require.True(e.t, ok, body)
	return idToken
}

// signedIn reports whether the demo still knows the browser's session: an
// authorization request then goes to the consent page, not to /login.
func (e *env) signedIn() bool {
	e.t.Helper()
	resp, page := e.get("/oauth/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {webID}, "redirect_uri": {e.base + "/callback"},
		"scope": {"basic_info"}, "state": {"probe"}, "code_challenge": {strings.Repeat("a", 43)},
		"code_challenge_method": {"S256"},
	}.Encode())
	if resp.StatusCode == http.StatusOK {
		return true
	}
	require.Equal(e.t, http.StatusFound, resp.StatusCode, page)
	require.Equal(e.t, "/login", e.location(resp).Path)
	return false
}

// TestLogoutWithHint: the end_session_endpoint (RP-Initiated Logout 1.0
// §2) with nuid-web's id_token_hint, its registered
// post_logout_redirect_uri and a state ends the demo session at once
// (OpenID.EndSession clears the cookie) and redirects, 302, to
// /signed-out with the state, which shows it.
func TestLogoutWithHint(t *testing.T) {
	e := newEnv(t, nil)
	hint := e.openIDSignIn()
	require.True(t, e.signedIn())

	resp, body := e.get("/oauth/logout?" + url.Values{
		"id_token_hint": {hint}, "post_logout_redirect_uri": {e.base + "/signed-out"}, "state": {"bye-1"},
	}.Encode())
	assert.Equal(t, http.StatusFound, resp.StatusCode, body)
	assert.Equal(t, e.base+"/signed-out?state=bye-1", resp.Header.Get("Location"))
	assert.Equal(t, []string{"kunci_demo_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"}, resp.Header.Values("Set-Cookie"))
	assert.False(t, e.signedIn(), "the demo session is gone")

	resp, page := e.get(resp.Header.Get("Location"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `<h1>Signed out</h1>`)
	assert.Contains(t, page, `<tr><td>state</td><td id="param-state">bye-1</td></tr>`)
}

// TestLogoutConfirmed: without a hint the server asks first (the logout
// page, 200, session kept); confirming its form, as the browser that
// loaded it, ends the session and redirects, 303 after the POST, to the
// registered URI with the state.
func TestLogoutConfirmed(t *testing.T) {
	e := newEnv(t, nil)
	e.openIDSignIn()

	resp, page := e.get("/oauth/logout?" + url.Values{
		"client_id": {webID}, "post_logout_redirect_uri": {e.base + "/signed-out"}, "state": {"bye-2"},
	}.Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, `<strong id="subject">budi</strong>`)
	assert.Contains(t, page, `<strong id="client">NU.ID Portal</strong>`)
	for _, c := range resp.Cookies() {
		assert.NotEqual(t, "kunci_demo_session", c.Name, "nothing ends before the user confirms")
	}
	require.True(t, e.signedIn())

	form := hiddenFields(page)
	require.NotEmpty(t, form.Get("csrf_token"), page)
	resp, body := e.post("/oauth/logout", form)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	assert.Equal(t, e.base+"/signed-out?state=bye-2", resp.Header.Get("Location"))
	assert.False(t, e.signedIn(), "the demo session is gone")
}

// TestLogoutUnregisteredURI: a post_logout_redirect_uri nuid-web did not
// register is never redirected to (RP-Initiated Logout 1.0 §3): the
// session ends and the server's signed-out page answers, 200.
func TestLogoutUnregisteredURI(t *testing.T) {
	e := newEnv(t, nil)
	hint := e.openIDSignIn()

	resp, page := e.get("/oauth/logout?" + url.Values{
		"id_token_hint": {hint}, "post_logout_redirect_uri": {e.base + "/callback"}, "state": {"bye-3"},
	}.Encode())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Location"))
	assert.Contains(t, page, `<h1 id="signed-out">`)
	assert.False(t, e.signedIn())
}
