package browsertest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/kunci/kunci/example/internal/demo"
)

const (
	clientID = "browser-app"
	// hybridClientID is the test client of the hybrid flow.
	hybridClientID = "browser-hybrid"
	userName       = "budi"
	password       = "budi-password"
	// watchdog bounds a whole browser session, so a stuck page fails the
	// test instead of hanging it. It is never waited out on success.
	watchdog = 2 * time.Minute
)

// inCI reports whether the CI environment variable, whose value is ci,
// says the tests run in CI: any value strconv.ParseBool reads as true, or
// any other non-empty value it cannot read ("yes", "on", a build number).
// Empty, "false" and "0" are not CI.
func inCI(ci string) bool {
	b, err := strconv.ParseBool(ci)
	if err != nil {
		return ci != ""
	}
	return b
}

// chromiumPath finds the browser. Outside CI a missing browser skips the
// test; in CI (see [inCI]) it fails it, so CI can never pass without
// running it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	const want = "/usr/bin/chromium"
	if _, err := os.Stat(want); err == nil {
		return want
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if ci := os.Getenv("CI"); inCI(ci) {
		t.Fatalf("browsertest: Chromium not found at %s or on PATH, and CI=%s: install it (apt-get install chromium)", want, ci)
	}
	t.Skipf("browsertest: skipped: Chromium not found at %s or on PATH (apt-get install chromium to run it)", want)
	return ""
}

// site is the demo app on a loopback test server, plus the test client's
// redirect URI /test/cb (GET, and POST for response_mode=form_post, whose
// forms it keeps) and a form page /test/post (see [postPage]) on the same
// server, so the browser never loads anything but this server.
type site struct {
	base      string
	redirect  string
	loggedOut string // the test client's post_logout_redirect_uri

	mu    sync.Mutex
	posts []url.Values // forms POSTed to the redirect URI (response_mode=form_post)
}

// posted returns the forms POSTed to the redirect URI so far.
func (s *site) posted() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.posts...)
}

// postPage serves a page whose form, button "submit", posts the hidden
// fields given in its query, except "action", to the address given as
// "action". It sends Referrer-Policy no-referrer, as an attacker's page may,
// so that the browser sends "Origin: null" with the form.
func postPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	action := q.Get("action")
	q.Del("action")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Referrer-Policy", "no-referrer")
	postTmpl.Execute(w, struct {
		Action string
		Fields url.Values
	}{action, q})
}

var postTmpl = template.Must(template.New("post").Parse(`<!doctype html><title>post</title>
<form method="post" action="{{.Action}}">{{range $k, $vs := .Fields}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
<button type="submit" id="submit">Submit</button></form>`))

// newOtherOrigin starts a second loopback server, another origin on the
// same site as the demo (same host, another port), that serves only
// [postPage] at /test/post, and returns its base URL.
func newOtherOrigin(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /test/post", postPage)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts.URL
}

func newSite(t *testing.T) *site {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	data := demo.DefaultData(base)
	data.Clients = append(data.Clients, demo.ClientSpec{
		ClientID:                clientID,
		ClientName:              "Browser Test App",
		RedirectURIs:            []string{base + "/test/cb"},
		GrantTypes:              []string{"authorization_code"},
		ResponseTypes:           []string{"code"},
		Scope:                   "basic_info phone openid",
		TokenEndpointAuthMethod: "none",
		PostLogoutRedirectURIs:  []string{base + "/test/loggedout"},
	}, demo.ClientSpec{
		// The hybrid flow's client: native, since a web client of that
		// flow may register only https redirect URIs (OpenID Connect
		// Registration §2), and this site is plain http on loopback.
		ClientID:                hybridClientID,
		ClientName:              "Browser Test Hybrid App",
		ApplicationType:         "native",
		RedirectURIs:            []string{base + "/test/cb"},
		GrantTypes:              []string{"authorization_code"},
		ResponseTypes:           []string{"code id_token"},
		Scope:                   "openid",
		TokenEndpointAuthMethod: "none",
	})
	app, err := demo.New(t.Context(), demo.Config{Issuer: base, Data: &data})
	require.NoError(t, err)
	s := &site{base: base, redirect: base + "/test/cb", loggedOut: base + "/test/loggedout"}
	done := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>callback</title><p id="done">callback reached</p>`)
	}
	mux := http.NewServeMux()
	mux.Handle("/", app)
	mux.HandleFunc("GET /test/cb", func(w http.ResponseWriter, r *http.Request) { done(w) })
	// The relying party's form_post landing (OAuth 2.0 Form Post Response
	// Mode §2) keeps what the browser posted for the test to read.
	mux.HandleFunc("POST /test/cb", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.posts = append(s.posts, r.PostForm)
		s.mu.Unlock()
		done(w)
	})
	mux.HandleFunc("GET /test/loggedout", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>signed out</title><p id="loggedout">relying party reached after logout</p>`)
	})
	mux.HandleFunc("GET /test/post", postPage)
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		assert.NoError(t, app.Close())
	})
	return s
}

// authorizeURL is a code request with PKCE S256 (RFC 7636 §4.2) for
// scope basic_info phone.
func (s *site) authorizeURL(state, verifier string) string {
	return s.authorizeURLWith(state, verifier, url.Values{"scope": {"basic_info phone"}})
}

// authorizeURLWith is a code request with PKCE S256 and the parameters in
// extra (scope among them).
func (s *site) authorizeURLWith(state, verifier string, extra url.Values) string {
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {s.redirect}, "state": {state},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		q[k] = v
	}
	return s.base + "/oauth/authorize?" + q.Encode()
}

// tokenResponse is the part of a token response (RFC 6749 §5.1, OpenID
// Connect Core §3.1.3.3) the tests read.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope"`
	IDToken     string `json:"id_token"`
}

// exchange redeems code at the token endpoint as the public test client
// does (RFC 6749 §4.1.3, RFC 7636 §4.5).
func (s *site) exchange(t *testing.T, code, verifier string) tokenResponse {
	t.Helper()
	return s.exchangeAs(t, clientID, code, verifier)
}

// exchangeAs is exchange for the public test client client.
func (s *site) exchangeAs(t *testing.T, client, code, verifier string) tokenResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.base+"/oauth/token", strings.NewReader(url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {s.redirect},
		"client_id": {client}, "code_verifier": {verifier},
	}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var tok tokenResponse
	require.NoError(t, json.Unmarshal(body, &tok), string(body))
	return tok
}

// newBrowser starts headless Chromium with a fresh profile and records
// every URL it requests.
func newBrowser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	path := chromiumPath(t)
	profile := t.TempDir() // removed after the browser has exited (cleanups run last-in, first-out)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Every host name resolves to nothing, so the browser can reach
		// only the test's own server, which it is given as 127.0.0.1.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(profile),
	)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	ctx, cancelWatchdog := context.WithTimeout(ctx, watchdog)
	t.Cleanup(func() {
		cancelWatchdog()
		cancelBrowser()
		cancelAlloc()
	})
	var mu sync.Mutex
	var seen []string
	// Listen starts the browser; its callback must return fast (it runs in
	// the tab's read loop), hence only an append under a lock.
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			seen = append(seen, e.Request.URL)
			mu.Unlock()
		}
	}), "starting Chromium")
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// assertOnlyLoopback checks that the browser loaded nothing but the test's
// own server.
func assertOnlyLoopback(t *testing.T, s *site, urls []string) {
	t.Helper()
	require.NotEmpty(t, urls)
	for _, u := range urls {
		assert.True(t, strings.HasPrefix(u, s.base+"/"), "request outside the test server: %s", u)
	}
}

// TestSignInAndApprove signs in on the real login page (after one wrong
// password), approves on the consent page, lands on the redirect URI with
// a code, and exchanges it for a token that works at /api/me.
func TestSignInAndApprove(t *testing.T) {
	s := newSite(t)
	ctx, requests := newBrowser(t)
	verifier := rand.Text() + rand.Text()

	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.authorizeURL("approve-state", verifier)),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), userName),
		chromedp.SendKeys(id("password"), "not-the-password"),
		chromedp.Click(id("sign-in")),
		chromedp.WaitVisible(id("login-error")),
	))
	loginError, err := chromedp.Run(ctx, chromedp.Text(id("login-error")))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		// The page came back with the username kept and the password empty.
		chromedp.SendKeys(id("password"), password),
		chromedp.Click(id("sign-in")),
		chromedp.WaitVisible(id("approve")),
	))
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	require.NoError(t, err)
	assertConsentRefusedElsewhere(t, ctx, s)
	// The page itself submits through the same checks: Chromium sends
	// Origin null (the page's Referrer-Policy is no-referrer),
	// Sec-Fetch-Site same-origin and the binding cookie.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(id("approve")),
		chromedp.WaitVisible(id("done")),
	))
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, "Wrong username or password.", loginError)
	assert.Equal(t, "Browser Test App wants to access your account", heading)

	cb, err := url.Parse(location)
	require.NoError(t, err)
	assert.Equal(t, s.redirect, cb.Scheme+"://"+cb.Host+cb.Path)
	assert.Equal(t, "approve-state", cb.Query().Get("state"))
	assert.Equal(t, s.base, cb.Query().Get("iss"))
	code := cb.Query().Get("code")
	require.NotEmpty(t, code)
	assertOnlyLoopback(t, s, requests())

	// The code is real: exchange it as the client would, and use the token.
	tok := s.exchange(t, code, verifier)
	assert.Equal(t, "basic_info phone", tok.Scope)
	assert.Empty(t, tok.IDToken, "not an OpenID Connect request")

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.base+"/api/me", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"sub":"budi","name":"Budi Santoso","email":"budi@example.id","phone":"+62 812 0000 0001"}`, string(body))
}

// TestSignInThroughFormPost signs in with an OpenID Connect authentication
// request (Core §3.1.2.1, scope openid with a nonce) in
// response_mode=form_post (OAuth 2.0 Form Post Response Mode §2). After
// Allow, the server's page, whose only script is its own nonce-bound one,
// posts code, state and iss to the test client's redirect URI once, and no
// URL the browser loaded carries the code. The code exchanges for an ID
// Token that go-oidc, an independent verifier, accepts: the signature
// against the JWKS that discovery names, iss, aud, exp, the request's
// nonce and at_hash; UserInfo then answers for the same subject.
func TestSignInThroughFormPost(t *testing.T) {
	s := newSite(t)
	ctx, requests := newBrowser(t)
	verifier := rand.Text() + rand.Text()
	nonce := rand.Text()

	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.authorizeURLWith("form-post-state", verifier, url.Values{
			"scope": {"openid"}, "response_mode": {"form_post"}, "nonce": {nonce},
		})),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), userName),
		chromedp.SendKeys(id("password"), password),
		chromedp.Click(id("sign-in")),
		chromedp.WaitVisible(id("approve")),
		chromedp.Click(id("approve")),
		chromedp.WaitVisible(id("done")),
	))
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, s.redirect, location, "the response is in the posted form, not in the URL")

	posts := s.posted()
	require.Len(t, posts, 1, "the form_post page submits itself once")
	got := posts[0]
	assert.Equal(t, []string{"code", "iss", "state"}, slices.Sorted(maps.Keys(got)))
	assert.Equal(t, "form-post-state", got.Get("state"))
	assert.Equal(t, s.base, got.Get("iss"))
	code := got.Get("code")
	require.NotEmpty(t, code)
	urls := requests()
	assertOnlyLoopback(t, s, urls)
	for _, u := range urls {
		assert.NotContains(t, u, code, "the code was in a URL")
	}

	tok := s.exchange(t, code, verifier)
	assert.Equal(t, "openid", tok.Scope)
	require.NotEmpty(t, tok.IDToken, "an OpenID Connect request gets an ID Token")
	provider, err := oidc.NewProvider(t.Context(), s.base)
	require.NoError(t, err)
	idToken, err := provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(t.Context(), tok.IDToken)
	require.NoError(t, err)
	assert.Equal(t, s.base, idToken.Issuer)
	assert.Equal(t, []string{clientID}, idToken.Audience)
	assert.Equal(t, userName, idToken.Subject)
	assert.Equal(t, nonce, idToken.Nonce)
	assert.NoError(t, idToken.VerifyAccessToken(tok.AccessToken), "at_hash")

	info, err := provider.UserInfo(t.Context(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok.AccessToken}))
	require.NoError(t, err)
	assert.Equal(t, userName, info.Subject)
}

// TestHybridFormPostSignIn runs the hybrid flow (OpenID Connect Core §3.3)
// with response_type "code id_token" and response_mode form_post: the
// site's POST callback receives the code, an ID Token and the state, never
// in a URL. go-oidc checks the ID Token (signature from the JWKS that
// discovery names, iss, aud, nonce); c_hash is computed here from the
// code (Core §3.3.2.11); the code exchanges for tokens whose ID Token has
// the same sub.
func TestHybridFormPostSignIn(t *testing.T) {
	s := newSite(t)
	ctx, requests := newBrowser(t)
	verifier := rand.Text() + rand.Text()
	nonce := rand.Text()

	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.authorizeURLWith("hybrid-state", verifier, url.Values{
			"client_id": {hybridClientID}, "response_type": {"code id_token"}, "scope": {"openid"},
			"response_mode": {"form_post"}, "nonce": {nonce},
		})),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), userName),
		chromedp.SendKeys(id("password"), password),
		chromedp.Click(id("sign-in")),
		chromedp.WaitVisible(id("approve")),
		chromedp.Click(id("approve")),
		chromedp.WaitVisible(id("done")),
	))
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, s.redirect, location, "the response is in the posted form, not in the URL")

	posts := s.posted()
	require.Len(t, posts, 1, "the form_post page submits itself once")
	got := posts[0]
	assert.Equal(t, []string{"code", "id_token", "iss", "state"}, slices.Sorted(maps.Keys(got)))
	assert.Equal(t, "hybrid-state", got.Get("state"))
	code, raw := got.Get("code"), got.Get("id_token")
	require.NotEmpty(t, code)
	for _, u := range requests() {
		assert.NotContains(t, u, code, "the code was in a URL")
	}

	provider, err := oidc.NewProvider(t.Context(), s.base)
	require.NoError(t, err)
	verify := provider.Verifier(&oidc.Config{ClientID: hybridClientID})
	front, err := verify.Verify(t.Context(), raw)
	require.NoError(t, err)
	assert.Equal(t, s.base, front.Issuer)
	assert.Equal(t, nonce, front.Nonce)
	var claims struct {
		CHash string `json:"c_hash"`
	}
	require.NoError(t, front.Claims(&claims))
	sum := sha256.Sum256([]byte(code)) // the ID Token is RS256: the left half of SHA-256
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]), claims.CHash, "c_hash")

	tok := s.exchangeAs(t, hybridClientID, code, verifier)
	require.NotEmpty(t, tok.IDToken)
	back, err := verify.Verify(t.Context(), tok.IDToken)
	require.NoError(t, err)
	assert.Equal(t, front.Subject, back.Subject, "the code's ID Token has the same sub")
	assert.Equal(t, userName, back.Subject)
}

// TestLogout signs in with OpenID Connect, then sends the browser to the
// end_session_endpoint (RP-Initiated Logout 1.0 §2) with the ID Token as
// id_token_hint, the test client's registered post_logout_redirect_uri and
// a state: the browser lands on that URI with the state, the demo's
// session cookie is gone, and the next authorization request asks to sign
// in. Signed in again, a logout that names only the client shows the
// confirmation page; clicking its button signs out the same way.
func TestLogout(t *testing.T) {
	s := newSite(t)
	ctx, requests := newBrowser(t)
	verifier := rand.Text() + rand.Text()

	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	signIn := []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), userName),
		chromedp.SendKeys(id("password"), password),
		chromedp.Click(id("sign-in")),
		chromedp.WaitVisible(id("approve")),
		chromedp.Click(id("approve")),
		chromedp.WaitVisible(id("done")),
	}
	require.NoError(t, chromedp.Do(ctx,
		append([]chromedp.Action[chromedp.Void]{
			chromedp.Navigate(s.authorizeURLWith("logout-signin", verifier, url.Values{"scope": {"openid"}, "nonce": {rand.Text()}})),
		}, signIn...)...,
	))
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	cb, err := url.Parse(location)
	require.NoError(t, err)
	tok := s.exchange(t, cb.Query().Get("code"), verifier)
	require.NotEmpty(t, tok.IDToken)
	sessionCookies := func() []string {
		t.Helper()
		cookies, err := chromedp.Run(ctx, browserCookies(s.base))
		require.NoError(t, err)
		var names []string
		for _, c := range cookies {
			if c.Name == "kunci_demo_session" {
				names = append(names, c.Name)
			}
		}
		return names
	}
	require.Equal(t, []string{"kunci_demo_session"}, sessionCookies())

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/oauth/logout?"+url.Values{
			"id_token_hint": {tok.IDToken}, "post_logout_redirect_uri": {s.loggedOut}, "state": {"bye-hint"},
		}.Encode()),
		chromedp.WaitVisible(id("loggedout")),
	))
	afterHint, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, s.loggedOut+"?state=bye-hint", afterHint)
	assert.Empty(t, sessionCookies(), "the demo session cookie is cleared")

	// The session is gone: a new authorization request asks to sign in.
	// Signing in again brings back a session for the second logout.
	require.NoError(t, chromedp.Do(ctx,
		append([]chromedp.Action[chromedp.Void]{
			chromedp.Navigate(s.authorizeURL("logout-again", rand.Text()+rand.Text())),
		}, signIn...)...,
	))
	require.Equal(t, []string{"kunci_demo_session"}, sessionCookies())

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/oauth/logout?"+url.Values{
			"client_id": {clientID}, "post_logout_redirect_uri": {s.loggedOut}, "state": {"bye-confirm"},
		}.Encode()),
		chromedp.WaitVisible(id("logout")),
	))
	subject, err := chromedp.Run(ctx, chromedp.Text(id("subject")))
	require.NoError(t, err)
	assert.Equal(t, userName, subject)
	require.Equal(t, []string{"kunci_demo_session"}, sessionCookies(), "nothing ends before the user confirms")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(id("logout")),
		chromedp.WaitVisible(id("loggedout")),
	))
	afterConfirm, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, s.loggedOut+"?state=bye-confirm", afterConfirm)
	assert.Empty(t, sessionCookies())
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.authorizeURL("logout-probe", rand.Text()+rand.Text())),
		chromedp.WaitVisible(id("username")),
	))
	assertOnlyLoopback(t, s, requests())
}

// browserCookies reads the browser's cookies for the URL u.
func browserCookies(u string) chromedp.Action[[]*network.Cookie] {
	return func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{u}})
		return res.Cookies, err
	}
}

// setBrowserCookie stores c in the browser for the URL u.
func setBrowserCookie(u string, c *network.Cookie) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetCookie, network.SetCookieParams{
			Name: c.Name, Value: c.Value, URL: u, Path: c.Path, HTTPOnly: &c.HTTPOnly, SameSite: c.SameSite,
		})
		return err
	})
}

// assertConsentRefusedElsewhere runs while the tab of ctx shows a consent
// page. It checks the binding cookie the page set, then submits the page's
// form, with its request ID and CSRF token, from two places that must be
// refused: another origin of the same site in another tab of this browser
// (Sec-Fetch-Site same-site, although Chromium sends both the binding and
// the session cookie), and the demo's own origin in another browser signed
// in as the same user but without the binding cookie. Both are 403 error
// pages, and neither decides the request.
func assertConsentRefusedElsewhere(t *testing.T, ctx context.Context, s *site) {
	t.Helper()
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	requestID, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name="request_id"]`)))
	require.NoError(t, err)
	csrf, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name="csrf_token"]`)))
	require.NoError(t, err)
	cookies, err := chromedp.Run(ctx, browserCookies(s.base+"/oauth/consent"))
	require.NoError(t, err)
	var binding *network.Cookie
	var others []*network.Cookie
	for _, c := range cookies {
		if c.Name == "kunci_consent" {
			binding = c
		} else {
			others = append(others, c)
		}
	}
	require.NotNil(t, binding, "the consent page sets the binding cookie")
	assert.True(t, binding.HTTPOnly)
	assert.Equal(t, network.CookieSameSiteLax, binding.SameSite)
	assert.Equal(t, "/", binding.Path)
	assert.False(t, binding.Secure, "the demo's issuer is http on loopback")
	require.NotEmpty(t, others, "the demo's session cookie")

	submit := func(ctx context.Context, from string) (status int64, code, description string) {
		t.Helper()
		q := url.Values{"action": {s.base + "/oauth/consent"}, "request_id": {requestID}, "csrf_token": {csrf},
			"decision": {"approve"}, "scope": {"basic_info", "phone"}}
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(from+"/test/post?"+q.Encode()),
			chromedp.WaitVisible(id("submit")),
		))
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(id("submit")))
		require.NoError(t, err)
		if resp.Status != http.StatusForbidden {
			return resp.Status, "", "" // not the error page: do not wait for its text
		}
		code, err = chromedp.Run(ctx, chromedp.Text(id("error-code")))
		require.NoError(t, err)
		description, err = chromedp.Run(ctx, chromedp.Text(id("error-description")))
		require.NoError(t, err)
		return resp.Status, code, description
	}

	tab, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	status, code, description := submit(tab, newOtherOrigin(t))
	assert.Equal(t, int64(http.StatusForbidden), status, "same-site origin")
	assert.Equal(t, "access_denied", code, "same-site origin")
	assert.Equal(t, "a consent form may be submitted only from its own page", description)

	other, cancelOther := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelOther()
	for _, c := range others {
		require.NoError(t, chromedp.Do(other, setBrowserCookie(s.base, c)))
	}
	status, code, description = submit(other, s.base)
	assert.Equal(t, int64(http.StatusForbidden), status, "another browser")
	assert.Equal(t, "access_denied", code, "another browser")
	// This refusal comes after the signed-in subject was checked.
	assert.Equal(t, "this consent form was opened in another browser", description)
}

// TestCancelAndDeny follows the login page's cancel link, then signs in and
// denies on the consent page; both land on the redirect URI with
// access_denied and no code.
func TestCancelAndDeny(t *testing.T) {
	s := newSite(t)
	ctx, requests := newBrowser(t)

	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.authorizeURL("cancel-state", rand.Text()+rand.Text())),
		chromedp.WaitVisible(id("cancel")),
		chromedp.Click(id("cancel")),
		chromedp.WaitVisible(id("done")),
	))
	cancelled, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.authorizeURL("deny-state", rand.Text()+rand.Text())),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), userName),
		chromedp.SendKeys(id("password"), password),
		chromedp.Click(id("sign-in")),
		chromedp.WaitVisible(id("deny")),
		chromedp.Click(id("deny")),
		chromedp.WaitVisible(id("done")),
	))
	denied, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	for _, tc := range []struct{ location, state string }{{cancelled, "cancel-state"}, {denied, "deny-state"}} {
		cb, err := url.Parse(tc.location)
		require.NoError(t, err)
		assert.Equal(t, s.redirect, cb.Scheme+"://"+cb.Host+cb.Path, tc.state)
		assert.Equal(t, "access_denied", cb.Query().Get("error"), tc.state)
		assert.Equal(t, tc.state, cb.Query().Get("state"))
		assert.False(t, cb.Query().Has("code"), tc.state)
	}
	assertOnlyLoopback(t, s, requests())
}

// TestInCI: which values of CI make a missing browser a failure.
func TestInCI(t *testing.T) {
	for ci, want := range map[string]bool{
		"": false, "false": false, "0": false, "FALSE": false, "f": false,
		"true": true, "TRUE": true, "1": true, "t": true, "yes": true, "on": true, "github-actions": true,
	} {
		assert.Equal(t, want, inCI(ci), "CI=%q", ci)
	}
}
