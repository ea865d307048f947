package main

import (
	"bufio"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kunci/kunci/example/internal/demo"
)

// Demo credentials, as DefaultData registers them.
const (
	spaID        = "nuid-spa"
	webID        = "nuid-web"
	webSecret    = "nuid-web-secret-0123456789"
	serviceID    = "report-service"
	serviceSec   = "report-service-secret-0123"
	partnerID    = "prakerja-partner"
	partnerSec   = "prakerja-partner-secret-01"
	userName     = "budi"
	userPassword = "budi-password"
)

// env is the demo app on a loopback test server, with a browser-like
// client: a cookie jar, and redirects returned rather than followed.
type env struct {
	t      *testing.T
	base   string
	app    *demo.App
	client *http.Client
}

// newEnv serves demo.New on httptest; the issuer is the server's own URL,
// known before it starts, so /api/jwt/me can fetch the real JWKS.
func newEnv(t *testing.T, data *demo.Data) *env {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	app, err := demo.New(t.Context(), demo.Config{Issuer: base, Data: data})
	require.NoError(t, err)
	ts.Config.Handler = app
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		assert.NoError(t, app.Close())
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &env{t: t, base: base, app: app, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request; target is a path or an absolute URL. header holds
// extra request headers.
func (e *env) do(method, target string, form url.Values, header http.Header) (*http.Response, string) {
	e.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = e.base + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, target, body)
	require.NoError(e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := e.client.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp, string(b)
}

func (e *env) get(target string) (*http.Response, string) {
	e.t.Helper()
	return e.do(http.MethodGet, target, nil, nil)
}

func (e *env) post(target string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	return e.do(http.MethodPost, target, form, nil)
}

// basicPost posts a form with HTTP Basic client authentication.
func (e *env) basicPost(target string, form url.Values, id, secret string) (*http.Response, string) {
	e.t.Helper()
	h := http.Header{}
	req := &http.Request{Header: h}
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return e.do(http.MethodPost, target, form, h)
}

// bearer calls an API path with an access token ("" for none).
func (e *env) bearer(path, token string) (*http.Response, string) {
	e.t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return e.do(http.MethodGet, path, nil, h)
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// hiddenFields returns a page's hidden form fields, unescaped as a browser
// would submit them.
func hiddenFields(page string) url.Values {
	f := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(page, -1) {
		f.Set(m[1], html.UnescapeString(m[2]))
	}
	return f
}

// location parses the Location header; a relative one is resolved against
// the base URL.
func (e *env) location(resp *http.Response) *url.URL {
	e.t.Helper()
	loc := resp.Header.Get("Location")
	require.NotEmpty(e.t, loc, "no Location header (status %d)", resp.StatusCode)
	u, err := url.Parse(loc)
	require.NoError(e.t, err)
	b, _ := url.Parse(e.base)
	return b.ResolveReference(u)
}

// signInAt follows a "login needed" redirect: it loads the login page it
// points to and submits it, and returns where the login page sends the
// browser next.
func (e *env) signInAt(login *url.URL, username, password string) *url.URL {
	e.t.Helper()
	resp, page := e.get(login.String())
	require.Equal(e.t, http.StatusOK, resp.StatusCode, page)
	form := hiddenFields(page)
	require.NotEmpty(e.t, form.Get("csrf_token"), page)
	form.Set("username", username)
	form.Set("password", password)
	resp, page = e.post("/login", form)
	require.Equal(e.t, http.StatusSeeOther, resp.StatusCode, page)
	return e.location(resp)
}

// signIn signs in from the login page itself.
func (e *env) signIn(username, password string) {
	e.t.Helper()
	login, err := url.Parse(e.base + "/login")
	require.NoError(e.t, err)
	e.signInAt(login, username, password)
}

// decide submits the consent page with decision and, when approving, the
// given scopes; it returns the redirect to the client.
func (e *env) decide(page, decision string, scopes ...string) *url.URL {
	e.t.Helper()
	form := hiddenFields(page)
	require.NotEmpty(e.t, form.Get("request_id"), page)
	form.Set("decision", decision)
	if scopes != nil {
		form["scope"] = scopes
	}
	resp, body := e.post("/oauth/consent", form)
	require.Equal(e.t, http.StatusSeeOther, resp.StatusCode, body)
	return e.location(resp)
}

// tokenResponse decodes a token endpoint answer.
func tokenResponse(t *testing.T, resp *http.Response, body string) map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m
}

func (e *env) oauth2Context() context.Context {
	return context.WithValue(e.t.Context(), oauth2.HTTPClient, &http.Client{})
}

// passwordToken runs the password grant for nuid-web.
func (e *env) passwordToken(scope string, extra url.Values) map[string]any {
	e.t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {userName}, "password": {userPassword}, "scope": {scope}}
	for k, v := range extra {
		form[k] = v
	}
	resp, body := e.basicPost("/oauth/token", form, webID, webSecret)
	return tokenResponse(e.t, resp, body)
}

// TestAuthorizationCodeWithPKCE walks the browser flow with
// golang.org/x/oauth2 as the client: login needed, the login form with its
// CSRF token, consent needed, the code, the exchange with the PKCE
// verifier, and the API.
func TestAuthorizationCodeWithPKCE(t *testing.T) {
	e := newEnv(t, nil)
	conf := &oauth2.Config{
		ClientID:    spaID,
		RedirectURL: e.base + "/callback",
		Scopes:      []string{"basic_info", "phone"},
		Endpoint: oauth2.Endpoint{
			AuthURL: e.base + "/oauth/authorize", TokenURL: e.base + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams,
		},
	}
	verifier := oauth2.GenerateVerifier()

	// Login needed.
	resp, _ := e.get(conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	login := e.location(resp)
	assert.Equal(t, "/login", login.Path)
	returnTo := login.Query().Get("return_to")
	require.True(t, strings.HasPrefix(returnTo, "/oauth/authorize?request_id="), returnTo)

	// The login page: a CSRF-protected form that carries return_to and a
	// cancel link to cancel_to.
	resp, page := e.get(login.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	form := hiddenFields(page)
	assert.Equal(t, returnTo, form.Get("return_to"))
	assert.Contains(t, page, `href="`+html.EscapeString(login.Query().Get("cancel_to"))+`" id="cancel"`)
	form.Set("username", userName)

	// Without the CSRF token, or with a forged one: 403, no session.
	form.Set("password", userPassword)
	noToken := url.Values{"username": {userName}, "password": {userPassword}, "return_to": {returnTo}}
	resp, _ = e.post("/login", noToken)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	forged := url.Values{}
	for k, v := range form {
		forged[k] = v
	}
	forged.Set("csrf_token", strings.Repeat("A", len(form.Get("csrf_token"))))
	resp, _ = e.post("/login", forged)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// A wrong password: 200 and the form again with its message (a 401 would need a challenge).
	form.Set("password", "wrong")
	resp, page = e.post("/login", form)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "Wrong username or password.")
	assert.Empty(t, resp.Cookies())

	// The right one: a session cookie and back to return_to.
	form.Set("password", userPassword)
	resp, _ = e.post("/login", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, returnTo, resp.Header.Get("Location"))
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "kunci_demo_session" {
			session = c
		}
	}
	require.NotNil(t, session)
	assert.True(t, session.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, session.SameSite)
	assert.False(t, session.Secure, "plain http on loopback")
	assert.Equal(t, "/", session.Path)
	assert.GreaterOrEqual(t, len(session.Value), 26)

	// Consent needed.
	resp, page = e.get(returnTo)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "NU.ID Mobile wants to access your account")
	assert.Contains(t, page, "Signed in as <strong>budi</strong>")
	assert.Contains(t, page, "Read your name and email address")
	assert.Contains(t, page, "Read your phone number")
	cb := e.decide(page, "approve", "basic_info", "phone")
	assert.Equal(t, e.base+"/callback", cb.Scheme+"://"+cb.Host+cb.Path)
	assert.Equal(t, "state-1", cb.Query().Get("state"))
	assert.Equal(t, e.base, cb.Query().Get("iss"))
	code := cb.Query().Get("code")
	require.NotEmpty(t, code)

	// The callback page shows the code.
	resp, page = e.get(cb.String())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `<td id="param-code">`+code+`</td>`)
	assert.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))

	// A wrong verifier is refused, and that spends the code.
	_, err := conf.Exchange(e.oauth2Context(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	var rerr *oauth2.RetrieveError
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, "invalid_grant", rerr.ErrorCode)

	// So start again. The consent is remembered, but this public client's
	// http loopback redirect URI cannot prove its identity, so the page is
	// shown again (RFC 8252 §8.6).
	verifier = oauth2.GenerateVerifier()
	resp, page = e.get(conf.AuthCodeURL("state-2", oauth2.S256ChallengeOption(verifier)))
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	cb = e.decide(page, "approve", "basic_info", "phone")
	assert.Equal(t, "state-2", cb.Query().Get("state"))
	tok, err := conf.Exchange(e.oauth2Context(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.NotEmpty(t, tok.RefreshToken)
	assert.Equal(t, "basic_info phone", tok.Extra("scope"))

	// The API: 200 with the phone (scope phone), 401 without a token or
	// with a bad one.
	resp, body := e.bearer("/api/me", tok.AccessToken)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"sub":"budi","name":"Budi Santoso","email":"budi@example.id","phone":"+62 812 0000 0001"}`, body)
	resp, _ = e.bearer("/api/me", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "Bearer", resp.Header.Get("WWW-Authenticate"))
	resp, _ = e.bearer("/api/me", "kat_not-a-real-token")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `Bearer error="invalid_token"`, resp.Header.Get("WWW-Authenticate"))
}

// TestAPIScopeAndPhone: a token without basic_info is 403
// insufficient_scope; one without phone gets no phone number.
func TestAPIScopeAndPhone(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.passwordToken("keys_op", nil)
	resp, _ := e.bearer("/api/me", tok["access_token"].(string))
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, `Bearer error="insufficient_scope", scope="basic_info"`, resp.Header.Get("WWW-Authenticate"))

	tok = e.passwordToken("basic_info", nil)
	resp, body := e.bearer("/api/me", tok["access_token"].(string))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"sub":"budi","name":"Budi Santoso","email":"budi@example.id"}`, body)
}

// TestRefreshRotationThroughAliases refreshes through NU.ID's and Apigee's
// aliases; replaying a rotated refresh token revokes the whole grant.
func TestRefreshRotationThroughAliases(t *testing.T) {
	e := newEnv(t, nil)
	first := e.passwordToken("basic_info", nil)
	r1 := first["refresh_token"].(string)

	resp, body := e.basicPost("/oauth/refreshAccessToken", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r1}}, webID, webSecret)
	second := tokenResponse(t, resp, body)
	r2 := second["refresh_token"].(string)
	assert.NotEqual(t, r1, r2)

	resp, body = e.basicPost("/oauth/refresh", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r2}}, webID, webSecret)
	third := tokenResponse(t, resp, body)
	r3 := third["refresh_token"].(string)
	at3 := third["access_token"].(string)
	resp, _ = e.bearer("/api/me", at3)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// The aliases take only the refresh_token grant.
	resp, body = e.basicPost("/oauth/refresh", url.Values{"grant_type": {"client_credentials"}}, webID, webSecret)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, `"error":"unsupported_grant_type"`)

	// Replaying r1 is reuse: invalid_grant, and the grant is gone.
	resp, body = e.basicPost("/oauth/refreshAccessToken", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r1}}, webID, webSecret)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, `"error":"invalid_grant"`)
	resp, _ = e.basicPost("/oauth/refresh", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r3}}, webID, webSecret)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = e.bearer("/api/me", at3)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// TestIntrospectionAndRevocation: introspect, revoke (RFC 7009: an empty
// 200), and the API refuses the token afterwards.
func TestIntrospectionAndRevocation(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.passwordToken("basic_info phone", nil)
	at := tok["access_token"].(string)

	resp, body := e.basicPost("/oauth/introspect", url.Values{"token": {at}}, webID, webSecret)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var info map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &info))
	assert.Equal(t, true, info["active"])
	assert.Equal(t, "budi", info["sub"])
	assert.Equal(t, webID, info["client_id"])
	assert.Equal(t, "basic_info phone", info["scope"])

	resp, body = e.basicPost("/oauth/revoke", url.Values{"token": {at}}, webID, webSecret)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, body)
	resp, _ = e.bearer("/api/me", at)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `Bearer error="invalid_token"`, resp.Header.Get("WWW-Authenticate"))
	resp, body = e.basicPost("/oauth/introspect", url.Values{"token": {at}}, webID, webSecret)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"active":false}`, body)

	// Revoking the refresh token ends its grant.
	second := e.passwordToken("basic_info", nil)
	resp, _ = e.basicPost("/oauth/revoke", url.Values{"token": {second["refresh_token"].(string)}}, webID, webSecret)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = e.bearer("/api/me", second["access_token"].(string))
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// TestClientCredentials uses x/oauth2's clientcredentials package. The
// token acts for the service itself, so /api/me answers 403.
func TestClientCredentials(t *testing.T) {
	e := newEnv(t, nil)
	conf := clientcredentials.Config{
		ClientID: serviceID, ClientSecret: serviceSec, TokenURL: e.base + "/oauth/token",
		Scopes: []string{"basic_info"}, AuthStyle: oauth2.AuthStyleInHeader,
	}
	tok, err := conf.Token(e.oauth2Context())
	require.NoError(t, err)
	assert.Empty(t, tok.RefreshToken)
	resp, body := e.bearer("/api/me", tok.AccessToken)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("WWW-Authenticate"))
	assert.JSONEq(t, `{"error":"no_user","error_description":"this token acts for a client, not for a user","client_id":"report-service"}`, body)

	conf.ClientSecret = "wrong-secret-wrong-secret"
	_, err = conf.Token(e.oauth2Context())
	var rerr *oauth2.RetrieveError
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, "invalid_client", rerr.ErrorCode)
	assert.Equal(t, http.StatusUnauthorized, rerr.Response.StatusCode)
}

// TestPasswordGrant: the demo users' credentials, compared in constant
// time; a wrong password is invalid_grant.
func TestPasswordGrant(t *testing.T) {
	e := newEnv(t, nil)
	conf := &oauth2.Config{ClientID: webID, ClientSecret: webSecret,
		Endpoint: oauth2.Endpoint{TokenURL: e.base + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{"basic_info"}}
	tok, err := conf.PasswordCredentialsToken(e.oauth2Context(), "siti", "siti-password")
	require.NoError(t, err)
	assert.NotEmpty(t, tok.RefreshToken)
	resp, body := e.bearer("/api/me", tok.AccessToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"sub":"siti","name":"Siti Rahayu","email":"siti@example.id"}`, body)

	for _, creds := range [][2]string{{"siti", "budi-password"}, {"nobody", "siti-password"}, {"siti", ""}} {
		_, err = conf.PasswordCredentialsToken(e.oauth2Context(), creds[0], creds[1])
		var rerr *oauth2.RetrieveError
		require.ErrorAs(t, err, &rerr, "%q", creds)
		assert.Equal(t, "invalid_grant", rerr.ErrorCode, "%q", creds)
	}
}

// TestImplicitGrant: the SPA registered response type token; the token
// arrives in the fragment and works at the API.
func TestImplicitGrant(t *testing.T) {
	e := newEnv(t, nil)
	e.signIn(userName, userPassword)
	resp, page := e.get("/oauth/authorize?" + url.Values{
		"response_type": {"token"}, "client_id": {spaID}, "redirect_uri": {e.base + "/callback"},
		"scope": {"basic_info"}, "state": {"imp-1"},
	}.Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	cb := e.decide(page, "approve", "basic_info")
	assert.Empty(t, cb.RawQuery)
	frag, err := url.ParseQuery(cb.Fragment)
	require.NoError(t, err)
	assert.Equal(t, "imp-1", frag.Get("state"))
	assert.Equal(t, "Bearer", frag.Get("token_type"))
	assert.False(t, frag.Has("refresh_token"))
	resp, body := e.bearer("/api/me", frag.Get("access_token"))
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)

	// The confidential web client did not register it.
	resp, _ = e.get("/oauth/authorize?" + url.Values{
		"response_type": {"token"}, "client_id": {webID}, "redirect_uri": {e.base + "/callback"}, "state": {"imp-2"},
	}.Encode())
	require.Equal(t, http.StatusFound, resp.StatusCode)
	frag, _ = url.ParseQuery(e.location(resp).Fragment)
	assert.Equal(t, "unauthorized_client", frag.Get("error"))
}

// TestDeny: denying at the consent page sends access_denied to the client.
func TestDeny(t *testing.T) {
	e := newEnv(t, nil)
	e.signIn(userName, userPassword)
	resp, page := e.get("/oauth/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {spaID}, "redirect_uri": {e.base + "/callback"}, "state": {"d-1"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"},
	}.Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	cb := e.decide(page, "deny")
	assert.Equal(t, "access_denied", cb.Query().Get("error"))
	assert.Equal(t, "d-1", cb.Query().Get("state"))
	assert.False(t, cb.Query().Has("code"))
}

// TestConsentSSO is Prakerja's flow: login needed, the user cancels and
// lands on the partner's login_uri; then signs in, consents, and the
// partner exchanges the code with client_secret_post.
func TestConsentSSO(t *testing.T) {
	e := newEnv(t, nil)
	sso := "/consent-sso?" + url.Values{
		"client_id": {partnerID}, "client_name": {"Mitra Pelatihan"}, "login_uri": {e.base + "/partner/login"},
		"redirect_uri": {e.base + "/callback"}, "scope": {"name email prakerjaid notelp"}, "state": {"partner-1"},
	}.Encode()

	resp, _ := e.get(sso)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	login := e.location(resp)
	assert.Equal(t, "/login", login.Path)
	_, page := e.get(login.String())
	cancel := regexp.MustCompile(`<a href="([^"]+)" id="cancel">`).FindStringSubmatch(page)
	require.Len(t, cancel, 2, page)
	resp, _ = e.get(html.UnescapeString(cancel[1]))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back := e.location(resp)
	assert.Equal(t, e.base+"/partner/login", back.Scheme+"://"+back.Host+back.Path)
	assert.Equal(t, "access_denied", back.Query().Get("error"))
	assert.Equal(t, "partner-1", back.Query().Get("state"))
	resp, page = e.get(back.String())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `<td id="param-error">access_denied</td>`)

	// Again, and this time sign in: consent needed.
	resp, _ = e.get(sso)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	next := e.signInAt(e.location(resp), userName, userPassword)
	resp, page = e.get(next.String())
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "Mitra Pelatihan wants to access your account")
	for _, d := range []string{"Your name", "Your email address", "Your Prakerja ID", "Your phone number (Prakerja)"} {
		assert.Contains(t, page, d)
	}
	cb := e.decide(page, "approve", "name", "email", "prakerjaid", "notelp")
	assert.Equal(t, "partner-1", cb.Query().Get("state"))
	resp, body := e.post("/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")}, "redirect_uri": {e.base + "/callback"},
		"client_id": {partnerID}, "client_secret": {partnerSec},
	})
	tok := tokenResponse(t, resp, body)
	assert.Equal(t, "name email prakerjaid notelp", tok["scope"])
	_, hasRefresh := tok["refresh_token"]
	assert.False(t, hasRefresh, "the partner did not register refresh_token")

	// Prakerja's scopes do not include basic_info.
	resp, _ = e.bearer("/api/me", tok["access_token"].(string))
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, `Bearer error="insufficient_scope", scope="basic_info"`, resp.Header.Get("WWW-Authenticate"))
}

// TestJWTRoute: a token requested for the API resource is an RFC 9068 JWT,
// which /api/jwt/me verifies against the server's own JWKS; an opaque
// token is refused there.
func TestJWTRoute(t *testing.T) {
	e := newEnv(t, nil)
	resp, body := e.get("/oauth/jwks")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `"alg":"ES256"`)
	assert.NotContains(t, body, `"d":`)

	jwt := e.passwordToken("basic_info phone", url.Values{"resource": {e.base + "/api"}})["access_token"].(string)
	assert.Equal(t, 2, strings.Count(jwt, "."), "a compact JWS")
	resp, body = e.bearer("/api/jwt/me", jwt)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.JSONEq(t, `{"sub":"budi","name":"Budi Santoso","email":"budi@example.id","phone":"+62 812 0000 0001"}`, body)

	opaque := e.passwordToken("basic_info", nil)["access_token"].(string)
	resp, _ = e.bearer("/api/jwt/me", opaque)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `Bearer error="invalid_token"`, resp.Header.Get("WWW-Authenticate"))

	// A resource the client did not register is invalid_target.
	resp, body = e.basicPost("/oauth/token", url.Values{"grant_type": {"password"}, "username": {userName},
		"password": {userPassword}, "resource": {"https://elsewhere.example/api"}}, webID, webSecret)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, `"error":"invalid_target"`)
}

// TestLoginPageRedirectsOnlyToLocalPaths: return_to is honoured only for a
// path on this site, so the login page is not an open redirect.
func TestLoginPageRedirectsOnlyToLocalPaths(t *testing.T) {
	cases := []struct {
		name     string
		returnTo string
		want     string
	}{
		{"a local path is kept", "/callback?x=1", "/callback?x=1"},
		{"an absolute URL goes home", "https://evil.example/", "/"},
		{"a scheme-relative URL goes home", "//evil.example/x", "/"},
		{"a backslash trick goes home", `/\evil.example`, "/"},
		{"a javascript URL goes home", "javascript:alert(1)", "/"},
		{"a control character goes home", "/ok\r\nSet-Cookie: x=y", "/"},
		{"nothing goes home", "", "/"},
	}
	e := newEnv(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, page := e.get("/login?" + url.Values{"return_to": {tc.returnTo}, "cancel_to": {tc.returnTo}}.Encode())
			form := hiddenFields(page)
			if tc.want == "/" {
				assert.Empty(t, form.Get("return_to"))
				assert.NotContains(t, page, `id="cancel"`)
			}
			// Even a form that posts the raw value back is not followed.
			form.Set("return_to", tc.returnTo)
			form.Set("username", userName)
			form.Set("password", userPassword)
			resp, _ := e.post("/login", form)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			assert.Equal(t, tc.want, resp.Header.Get("Location"))
		})
	}
}

// TestLoginCrossOriginAndLogout: a cross-site form post is refused even
// with a valid token; logout ends the session for good.
func TestLoginCrossOriginAndLogout(t *testing.T) {
	e := newEnv(t, nil)
	_, page := e.get("/login")
	form := hiddenFields(page)
	form.Set("username", userName)
	form.Set("password", userPassword)
	resp, _ := e.do(http.MethodPost, "/login", form, http.Header{"Sec-Fetch-Site": {"cross-site"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	resp, _ = e.post("/login", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, page = e.get("/")
	assert.Contains(t, page, `Signed in as <strong id="user">budi</strong>`)
	b, _ := url.Parse(e.base)
	old := e.client.Jar.Cookies(b)

	resp, _ = e.post("/logout", url.Values{})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/", resp.Header.Get("Location"))
	_, page = e.get("/")
	assert.Contains(t, page, "Not signed in.")

	// The old cookie no longer names a session.
	e.client.Jar.SetCookies(b, old)
	_, page = e.get("/")
	assert.Contains(t, page, "Not signed in.")
	resp, _ = e.get("/logout")
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

// TestSignInEndsTheOldSession: signing in while presenting a session ID,
// such as one an attacker planted, ends that session, so the ID someone
// knew before sign-in is worthless after it (session fixation).
func TestSignInEndsTheOldSession(t *testing.T) {
	e := newEnv(t, nil)
	b, err := url.Parse(e.base)
	require.NoError(t, err)
	e.signIn("siti", "siti-password")
	before := e.client.Jar.Cookies(b)
	require.Len(t, before, 1)
	require.Equal(t, "kunci_demo_session", before[0].Name)

	e.signIn(userName, userPassword)
	after := e.client.Jar.Cookies(b)
	require.Len(t, after, 1)
	assert.NotEqual(t, before[0].Value, after[0].Value, "a fresh session ID")
	_, page := e.get("/")
	assert.Contains(t, page, `Signed in as <strong id="user">budi</strong>`)

	e.client.Jar.SetCookies(b, before)
	_, page = e.get("/")
	assert.Contains(t, page, "Not signed in.", "the session that existed before sign-in is gone")
}

// TestCrossSiteLogoutIsRefused: a logout form posted from another site is
// refused with 403 and the session lives on, whether the browser says so
// with Sec-Fetch-Site or only with Origin.
func TestCrossSiteLogoutIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	e.signIn(userName, userPassword)
	for name, h := range map[string]http.Header{
		"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": {"cross-site"}},
		"Sec-Fetch-Site same-site":  {"Sec-Fetch-Site": {"same-site"}},
		"a foreign Origin":          {"Origin": {"https://evil.example"}},
	} {
		t.Run(name, func(t *testing.T) {
			resp, _ := e.do(http.MethodPost, "/logout", url.Values{}, h)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode)
			assert.Empty(t, resp.Cookies(), "the session cookie is not cleared")
			_, page := e.get("/")
			assert.Contains(t, page, `Signed in as <strong id="user">budi</strong>`)
		})
	}
	resp, _ := e.do(http.MethodPost, "/logout", url.Values{}, http.Header{"Sec-Fetch-Site": {"same-origin"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, page := e.get("/")
	assert.Contains(t, page, "Not signed in.")
}

// TestMetadata: discovery is served at the issuer's well-known path.
func TestMetadata(t *testing.T) {
	e := newEnv(t, nil)
	resp, body := e.get("/.well-known/oauth-authorization-server")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var md map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &md))
	assert.Equal(t, e.base, md["issuer"])
	assert.Equal(t, e.base+"/oauth/token", md["token_endpoint"])
	assert.Equal(t, e.base+"/oauth/jwks", md["jwks_uri"])
}

// startRun runs run in the background and returns the base URL it
// printed, the rest of its output once it returns, and its error.
func startRun(t *testing.T, ctx context.Context, args ...string) (base string, done <-chan error, output func() string) {
	t.Helper()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw)
		pw.Close()
		errc <- err
	}()
	var sb strings.Builder
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		sb.WriteString(lines.Text() + "\n")
		if after, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
			base = after
			break
		}
	}
	if base == "" {
		t.Fatalf("run printed no address; it returned %v", <-errc)
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for lines.Scan() {
			sb.WriteString(lines.Text() + "\n")
		}
	}()
	return base, errc, func() string { <-drained; return sb.String() }
}

// TestRunStartsAndStops starts the real program on a free port, uses it,
// and stops it by cancelling the context, as SIGINT does.
func TestRunStartsAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	base, done, output := startRun(t, ctx, "-addr", "127.0.0.1:0")
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), base)

	resp, err := http.Get(base + "/.well-known/oauth-authorization-server")
	require.NoError(t, err)
	var md map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&md))
	resp.Body.Close()
	assert.Equal(t, base, md["issuer"])

	cancel()
	require.NoError(t, <-done)
	out := output()
	for _, want := range []string{"nuid-spa", "nuid-web-secret-0123456789", "budi / budi-password",
		"== Authorization code with PKCE (nuid-spa) ==", "/oauth/refreshAccessToken", "== Implicit grant (nuid-spa) ==",
		"grant_type=password", "grant_type=client_credentials", "/api/jwt/me", "/oauth/introspect", "/oauth/revoke", "/consent-sso?"} {
		assert.Contains(t, out, want)
	}
}

// TestRunClientsFile: -clients replaces the demo data; a malformed file
// stops start-up with an error that names the problem.
func TestRunClientsFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, []byte(`{
  "clients": [{"client_id": "my-app", "client_secret": "my-app-secret-0123456789", "client_name": "My App",
               "grant_types": ["password"], "scope": "basic_info", "token_endpoint_auth_method": "client_secret_post"}],
  "users": [{"username": "ani", "password": "ani-password", "name": "Ani", "email": "ani@example.id"}]
}`), 0o600))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	base, done, output := startRun(t, ctx, "-addr", "127.0.0.1:0", "-clients", good)
	require.NotEmpty(t, base)
	resp, err := http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"password"}, "username": {"ani"},
		"password": {"ani-password"}, "client_id": {"my-app"}, "client_secret": {"my-app-secret-0123456789"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"password"}, "username": {userName},
		"password": {userPassword}, "client_id": {"my-app"}, "client_secret": {"my-app-secret-0123456789"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "the demo users are gone")
	cancel()
	require.NoError(t, <-done)
	out := output()
	assert.Contains(t, out, "my-app")
	assert.NotContains(t, out, "nuid-spa")

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"clients": [{"client_name": "x", "grant_types": ["password"], "secret": "s"}]}`), 0o600))
	err = run(t.Context(), []string{"-addr", "127.0.0.1:0", "-clients", bad}, io.Discard)
	require.Error(t, err)
	assert.Equal(t, `demo: clients file: json: unknown field "secret" (in `+bad+`)`, err.Error())

	require.NoError(t, os.WriteFile(bad, []byte(`{"clients": [{"client_name": "x", "grant_types": ["password"], "token_endpoint_auth_method": "none"}], "users": [{"username": "u"}]}`), 0o600))
	err = run(t.Context(), []string{"-addr", "127.0.0.1:0", "-clients", bad}, io.Discard)
	require.Error(t, err)
	assert.Equal(t, "demo: clients file: clients[0]: missing client_id\n"+
		"demo: clients file: users[0]: missing password\n"+
		"demo: clients file: users[0]: missing name\n"+
		"demo: clients file: users[0]: missing email (in "+bad+")", err.Error())

	err = run(t.Context(), []string{"-clients", filepath.Join(dir, "missing.json")}, io.Discard)
	assert.ErrorIs(t, err, os.ErrNotExist)
	var stdout strings.Builder
	err = run(t.Context(), []string{"-nope"}, &stdout)
	assert.EqualError(t, err, "example: flag provided but not defined: -nope (-h lists the flags)")
	assert.Empty(t, stdout.String(), "a flag error is returned for stderr, not printed on stdout")
	err = run(t.Context(), []string{"-addr"}, &stdout)
	assert.EqualError(t, err, "example: flag needs an argument: -addr (-h lists the flags)")
	assert.Empty(t, stdout.String())
	var usage strings.Builder
	assert.NoError(t, run(t.Context(), []string{"-h"}, &usage))
	assert.True(t, strings.HasPrefix(usage.String(), "usage: example [flags]\n"), usage.String())
	assert.Contains(t, usage.String(), "-clients")
	err = run(t.Context(), []string{"extra"}, io.Discard)
	assert.EqualError(t, err, `example: unexpected arguments ["extra"]`)
}

// TestRunCompat: -compat nuid-v1,apigee turns on the seed behaviours the
// server refuses by default, each visible through the running program; an
// unknown name stops start-up with an error naming it.
func TestRunCompat(t *testing.T) {
	post := func(base, path string, form url.Values, user, pass string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		if resp.ContentLength != 0 {
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		}
		return resp.StatusCode, body
	}
	// exercise returns what the three requests that differ answer: the
	// token response's fields, a code exchange without grant_type, and a
	// revocation with only the token.
	exercise := func(args ...string) (token map[string]any, exchangeStatus int, exchange map[string]any, revokeStatus int, out string) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		base, done, output := startRun(t, ctx, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
		status, token := post(base, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"basic_info"}}, serviceID, serviceSec)
		require.Equal(t, http.StatusOK, status, token)
		exchangeStatus, exchange = post(base, "/oauth/token", url.Values{"client_id": {spaID}, "code": {"kac_unknown"},
			"redirect_uri": {base + "/callback"}, "code_verifier": {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}}, "", "")
		revokeStatus, _ = post(base, "/oauth/revoke", url.Values{"token": {token["access_token"].(string)}}, "", "")
		cancel()
		require.NoError(t, <-done)
		return token, exchangeStatus, exchange, revokeStatus, output()
	}

	token, status, exchange, revoke, out := exercise()
	assert.NotContains(t, token, "issued_at")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, map[string]any{"error": "invalid_request", "error_description": "missing grant_type"}, exchange)
	assert.Equal(t, http.StatusUnauthorized, revoke)
	assert.NotContains(t, out, "compatibility behaviours")

	token, status, exchange, revoke, out = exercise("-compat", "nuid-v1")
	assert.NotContains(t, token, "issued_at")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", exchange["error"], "the code exchange is read as authorization_code")
	assert.Equal(t, http.StatusOK, revoke)
	assert.Contains(t, out, "compatibility behaviours: nuid-v1\n")

	token, status, exchange, revoke, _ = exercise("-compat", "apigee")
	assert.Contains(t, token, "issued_at")
	assert.Equal(t, serviceID, token["client_id"])
	assert.Equal(t, "approved", token["status"])
	assert.Equal(t, "invalid_request", exchange["error"])
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, http.StatusUnauthorized, revoke)

	token, status, exchange, revoke, _ = exercise("-compat", "nuid-v1,apigee")
	assert.Contains(t, token, "issued_at")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", exchange["error"])
	assert.Equal(t, http.StatusOK, revoke)

	for _, list := range []string{"nuid-v2", "apigee,nuid", "nuid-v1,"} {
		err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-compat", list}, io.Discard)
		bad := list[strings.LastIndex(list, ",")+1:]
		assert.EqualError(t, err, `example: -compat: unknown behaviour "`+bad+`" (known: nuid-v1, apigee)`)
	}
	var usage strings.Builder
	require.NoError(t, run(t.Context(), []string{"-h"}, &usage))
	assert.Contains(t, usage.String(), "nuid-v1 (code exchange without grant_type, revocation with only the token), apigee (extended token response)")
}

// TestOpenIDDiscovery: the OpenID Provider configuration (Discovery §4)
// names the UserInfo endpoint, both signing algorithms and the demo's
// scopes, and go-oidc accepts it.
func TestOpenIDDiscovery(t *testing.T) {
	e := newEnv(t, nil)
	resp, body := e.get("/.well-known/openid-configuration")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var md struct {
		Issuer    string   `json:"issuer"`
		UserInfo  string   `json:"userinfo_endpoint"`
		JWKS      string   `json:"jwks_uri"`
		Algs      []string `json:"id_token_signing_alg_values_supported"`
		Scopes    []string `json:"scopes_supported"`
		Responses []string `json:"response_modes_supported"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &md), body)
	assert.Equal(t, e.base, md.Issuer)
	assert.Equal(t, e.base+"/oauth/userinfo", md.UserInfo)
	assert.Equal(t, e.base+"/oauth/jwks", md.JWKS)
	assert.ElementsMatch(t, []string{"ES256", "RS256"}, md.Algs)
	assert.Subset(t, md.Scopes, []string{"openid", "offline_access", "profile", "email", "phone", "address", "basic_info"})
	assert.Contains(t, md.Responses, "form_post")

	provider, err := oidc.NewProvider(e.t.Context(), e.base)
	require.NoError(t, err)
	assert.Equal(t, e.base+"/oauth/authorize", provider.Endpoint().AuthURL)
	assert.Equal(t, e.base+"/oauth/token", provider.Endpoint().TokenURL)
	assert.Equal(t, e.base+"/oauth/userinfo", provider.UserInfoEndpoint())
}

// oidcSignIn runs an OpenID Connect code flow for nuid-web as budi with
// the given scopes (and, if not empty, a claims request, Core §5.5),
// approving them all, and returns the token response.
func (e *env) oidcSignIn(provider *oidc.Provider, nonce, claims string, scopes ...string) *oauth2.Token {
	e.t.Helper()
	conf := &oauth2.Config{
		ClientID: webID, ClientSecret: webSecret, RedirectURL: e.base + "/callback",
		Scopes: scopes, Endpoint: provider.Endpoint(),
	}
	verifier := oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)}
	if claims != "" {
		opts = append(opts, oauth2.SetAuthURLParam("claims", claims))
	}
	resp, page := e.get(conf.AuthCodeURL("oidc-state", opts...))
	if resp.StatusCode == http.StatusFound && e.location(resp).Path == "/login" {
		resp, page = e.get(e.signInAt(e.location(resp), userName, userPassword).String())
	}
	require.Equal(e.t, http.StatusOK, resp.StatusCode, page)
	cb := e.decide(page, "approve", scopes...)
	require.Equal(e.t, "oidc-state", cb.Query().Get("state"), cb.String())
	assert.Equal(e.t, e.base, cb.Query().Get("iss"))
	tok, err := conf.Exchange(e.oauth2Context(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(e.t, err)
	return tok
}

// TestOpenIDCodeFlow signs budi in with scope openid, verifies the ID
// Token with go-oidc (signature through the JWKS, iss, aud, exp, nonce,
// at_hash) and checks its claims, asked for with the claims parameter,
// against the user's.
func TestOpenIDCodeFlow(t *testing.T) {
	e := newEnv(t, nil)
	provider, err := oidc.NewProvider(t.Context(), e.base)
	require.NoError(t, err)
	const nonce = "n-0S6_WzA2Mj"
	before := time.Now().Unix()
	tok := e.oidcSignIn(provider, nonce,
		`{"id_token":{"given_name":null,"family_name":null,"email":null,"email_verified":null,"address":null}}`,
		"openid", "profile", "email", "address", "offline_access")
	raw, ok := tok.Extra("id_token").(string)
	require.True(t, ok, "no id_token in the token response")
	assert.NotEmpty(t, tok.RefreshToken, "offline_access was approved")

	idToken, err := provider.Verifier(&oidc.Config{ClientID: webID}).Verify(t.Context(), raw)
	require.NoError(t, err)
	assert.Equal(t, e.base, idToken.Issuer)
	assert.Equal(t, []string{webID}, idToken.Audience)
	assert.Equal(t, userName, idToken.Subject)
	assert.Equal(t, nonce, idToken.Nonce)
	assert.NoError(t, idToken.VerifyAccessToken(tok.AccessToken), "at_hash")
	var claims map[string]any
	require.NoError(t, idToken.Claims(&claims))
	for name, want := range map[string]any{
		"given_name": "Budi", "family_name": "Santoso", "email": "budi@example.id", "email_verified": true,
		"address": map[string]any{"locality": "Jakarta", "country": "ID"},
	} {
		assert.Equal(t, want, claims[name], name)
	}
	assert.NotContains(t, claims, "phone_number", "phone was not asked for")
	assert.NotContains(t, claims, "picture", "not in the claims request")
	authTime, ok := claims["auth_time"].(float64)
	require.True(t, ok, "auth_time: %v", claims["auth_time"])
	assert.GreaterOrEqual(t, int64(authTime), before, "budi signed in during this test")
	assert.LessOrEqual(t, int64(authTime), time.Now().Unix())

	header, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	require.NoError(t, err)
	assert.Equal(t, "RS256", header.Signatures[0].Header.Algorithm, "nuid-web's id_token_signed_response_alg")
}

// TestOpenIDUserInfo: the UserInfo endpoint (Core §5.3) returns the claims
// of the scopes the token carries and no others: basic_info releases name
// and email, phone releases phone_number, profile and address the
// standard claims budi has.
func TestOpenIDUserInfo(t *testing.T) {
	cases := []struct {
		name   string
		scopes []string
		want   map[string]any
	}{
		{"openid alone releases only sub", []string{"openid"}, map[string]any{"sub": "budi"}},
		{"basic_info releases name and email", []string{"openid", "basic_info"},
			map[string]any{"sub": "budi", "name": "Budi Santoso", "email": "budi@example.id"}},
		{"phone releases phone_number", []string{"openid", "phone"},
			map[string]any{"sub": "budi", "phone_number": "+62 812 0000 0001"}},
		{"profile, email and address release the standard claims", []string{"openid", "profile", "email", "address"},
			map[string]any{
				"sub": "budi", "name": "Budi Santoso", "given_name": "Budi", "family_name": "Santoso",
				"picture": "https://avatars.example.id/budi.png", "locale": "id-ID",
				"email": "budi@example.id", "email_verified": true,
				"address": map[string]any{"locality": "Jakarta", "country": "ID"},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			provider, err := oidc.NewProvider(t.Context(), e.base)
			require.NoError(t, err)
			tok := e.oidcSignIn(provider, "nonce-"+tc.name, "", tc.scopes...)
			info, err := provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
			require.NoError(t, err)
			var got map[string]any
			require.NoError(t, info.Claims(&got))
			assert.Equal(t, tc.want, got)
			assert.Equal(t, "budi", info.Subject)
		})
	}
}
