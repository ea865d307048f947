package demo

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxFormBytes bounds the login and logout form bodies.
const maxFormBytes = 64 << 10

// loginPage is the data of login.html.
type loginPage struct {
	ReturnTo  string
	CancelTo  string
	CSRFToken string
	Username  string
	Error     string
	// Lang is the page's language and T its words; UILocales are the
	// ui_locales it was opened with, posted back so that an error page
	// keeps the language.
	Lang      string
	T         loginTexts
	UILocales string
}

// newLoginPage returns the sign-in page in the language of uiLocales and
// r's Accept-Language.
func newLoginPage(r *http.Request, uiLocales string) loginPage {
	if len(uiLocales) > maxLanguageInput {
		uiLocales = ""
	}
	lang := pageLanguage(uiLocales, r.Header.Get("Accept-Language"))
	return loginPage{Lang: lang, T: loginTextsByLang[lang], UILocales: uiLocales}
}

// localPath returns p when it is a path on this site: it starts with one
// "/" (not "//", which browsers read as another host, nor "/\" which some
// read the same way), has no scheme, host, backslash or control character.
// Anything else gives "", so the login page is never an open redirect
// (RFC 9700 §4.11).
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, `\`) {
		return ""
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return p
}

// The login form's pre-session cookie is nonce + "." + HMAC(nonce) under
// a key drawn from crypto/rand when the app starts, and the form's CSRF
// token is another HMAC of that nonce. What this guarantees:
//
//   - The MAC proves that this process minted the nonce. A cookie whose
//     value nobody here issued (chosen by an attacker, forged, or left
//     over from an earlier run) is replaced by a fresh one, so no one can
//     pick the value a form is bound to, and a token for it would be
//     refused.
//   - It does not prove the nonce was minted for this browser. Someone
//     who loads /login can copy their own cookie and token into another
//     browser. Against that, on https the cookie is "__Host-" prefixed,
//     which a sibling subdomain or a plain-http page cannot set, and POST
//     /login sits behind http.CrossOriginProtection, which refuses form
//     posts from other origins in browsers that send Sec-Fetch-Site or
//     Origin. On plain http (loopback only) any page on the same host, at
//     any port, can set the cookie.
//
// The two MACs have distinct labels, so a cookie's MAC is never a valid
// CSRF token.
const (
	cookieLabel = "kunci-demo login cookie"
	csrfLabel   = "kunci-demo login"
)

// mac returns the HMAC-SHA256 of label and value under the app's key, as
// text. The label separates the cookie's MAC from the CSRF token.
func (a *App) mac(label, value string) string {
	m := hmac.New(sha256.New, a.macKey)
	m.Write([]byte(label))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return encodeMAC(m.Sum(nil))
}

// newPreSession mints a nonce and the pre-session cookie value that
// carries it.
func (a *App) newPreSession() (nonce, value string) {
	nonce = randomID()
	return nonce, nonce + "." + a.mac(cookieLabel, nonce)
}

// preSessionNonce returns the nonce of the request's pre-session cookie
// when its MAC verifies (compared in constant time), else "".
func (a *App) preSessionNonce(r *http.Request) string {
	nonce, sum, ok := strings.Cut(a.readCookie(r, loginCookie), ".")
	if !ok || nonce == "" || !hmac.Equal([]byte(sum), []byte(a.mac(cookieLabel, nonce))) {
		return ""
	}
	return nonce
}

// csrfToken is the login form's CSRF token for a verified pre-session
// nonce.
func (a *App) csrfToken(nonce string) string {
	return a.mac(csrfLabel, nonce)
}

// validCSRF checks that the pre-session cookie verifies and that the
// submitted token is the one for its nonce, in constant time.
func (a *App) validCSRF(r *http.Request) bool {
	nonce := a.preSessionNonce(r)
	if nonce == "" {
		return false
	}
	return hmac.Equal([]byte(a.csrfToken(nonce)), []byte(r.PostForm.Get("csrf_token")))
}

// checkPassword compares the password with the user's in constant time
// (over SHA-256 digests, so lengths leak nothing either). An unknown user
// costs the same comparison.
func (a *App) checkPassword(username, password string) (User, bool) {
	u, found := a.users[username]
	got := sha256.Sum256([]byte(password))
	want := sha256.Sum256([]byte(u.Password))
	same := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	return u, found && u.Password != "" && same
}

// serveLoginForm shows the sign-in form. It sets the pre-session cookie the
// form's CSRF token is bound to, reusing one the browser already has only
// when its MAC verifies, so that two tabs share one valid token.
func (a *App) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	nonce := a.preSessionNonce(r)
	if nonce == "" {
		var value string
		nonce, value = a.newPreSession()
		http.SetCookie(w, a.cookie(loginCookie, value, 3600))
	}
	page := newLoginPage(r, q.Get("ui_locales"))
	page.ReturnTo, page.CancelTo = localPath(q.Get("return_to")), localPath(q.Get("cancel_to"))
	page.CSRFToken = a.csrfToken(nonce)
	a.render(w, http.StatusOK, "login.html", page)
}

// serveLogin checks the form and, on success, starts a session and sends
// the browser to return_to: the authorization request that is waiting.
func (a *App) serveLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderMessage(w, http.StatusBadRequest, "Bad request", "The sign-in form could not be read.")
		return
	}
	if !a.validCSRF(r) {
		a.renderMessage(w, http.StatusForbidden, "Sign-in form expired",
			"This sign-in form is expired or did not come from this site. Go back and reload it.")
		return
	}
	f := r.PostForm
	page := newLoginPage(r, f.Get("ui_locales"))
	page.ReturnTo, page.CancelTo = localPath(f.Get("return_to")), localPath(f.Get("cancel_to"))
	page.CSRFToken, page.Username = f.Get("csrf_token"), f.Get("username")
	addr, throttleID := remoteHost(r), "u:"+f.Get("username")
	if wait, blocked := a.logins.Blocked(throttleID, addr); blocked {
		a.log.WarnContext(r.Context(), "demo: sign-in throttled")
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		page.Error = page.T.TooMany
		a.render(w, http.StatusTooManyRequests, "login.html", page)
		return
	}
	user, ok := a.checkPassword(f.Get("username"), f.Get("password"))
	if !ok {
		a.logins.Fail(throttleID, addr)
		a.log.WarnContext(r.Context(), "demo: failed sign-in")
		page.Error = page.T.Wrong
		// 200, not 401: a 401 must carry a WWW-Authenticate challenge
		// (RFC 9110 §15.5.2), and a sign-in form is none.
		a.render(w, http.StatusOK, "login.html", page)
		return
	}
	// A fresh session ID on every sign-in, so a planted cookie is useless.
	if id := a.readCookie(r, sessionCookie); id != "" {
		a.sessions.end(id)
	}
	http.SetCookie(w, a.cookie(sessionCookie, a.sessions.create(user.Username), int(sessionTTL.Seconds())))
	http.SetCookie(w, a.cookie(loginCookie, "", -1))
	target := page.ReturnTo
	if target == "" {
		target = "/"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// Failed sign-ins are throttled like the password grant (RFC 6749 §4.3.2,
// §10.10): per username and source address, by the same counter.
const (
	loginFailureLimit  = 5
	loginFailureWindow = time.Minute
)

// remoteHost is the address a sign-in is throttled by. The demo is not
// meant to run behind a proxy, so it is the connection's remote host.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// serveLogout ends the session.
func (a *App) serveLogout(w http.ResponseWriter, r *http.Request) {
	a.endBrowserSession(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
