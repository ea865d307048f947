package demo

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
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

// csrfToken is the login form's CSRF token: an HMAC of the pre-session
// cookie under a per-process key. A cross-site attacker can neither read
// the cookie nor compute the HMAC, and a cookie planted by a sibling domain
// is useless without the matching token.
func (a *App) csrfToken(preSession string) string {
	m := hmac.New(sha256.New, a.csrfKey)
	m.Write([]byte("kunci-demo login\x00"))
	m.Write([]byte(preSession))
	return encodeMAC(m.Sum(nil))
}

// validCSRF checks the submitted token against the pre-session cookie in
// constant time.
func (a *App) validCSRF(r *http.Request) bool {
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" {
		return false
	}
	return hmac.Equal([]byte(a.csrfToken(c.Value)), []byte(r.PostForm.Get("csrf_token")))
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
// form's CSRF token is bound to, reusing one the browser already has.
func (a *App) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pre := ""
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) >= 16 && len(c.Value) <= 64 {
		pre = c.Value
	} else {
		pre = randomID()
		http.SetCookie(w, a.cookie(loginCookie, pre, "/login", 3600))
	}
	a.render(w, http.StatusOK, "login.html", loginPage{
		ReturnTo:  localPath(q.Get("return_to")),
		CancelTo:  localPath(q.Get("cancel_to")),
		CSRFToken: a.csrfToken(pre),
	})
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
	page := loginPage{
		ReturnTo:  localPath(f.Get("return_to")),
		CancelTo:  localPath(f.Get("cancel_to")),
		CSRFToken: f.Get("csrf_token"),
		Username:  f.Get("username"),
	}
	user, ok := a.checkPassword(f.Get("username"), f.Get("password"))
	if !ok {
		a.log.WarnContext(r.Context(), "demo: failed sign-in")
		page.Error = "Wrong username or password."
		a.render(w, http.StatusUnauthorized, "login.html", page)
		return
	}
	// A fresh session ID on every sign-in, so a planted cookie is useless.
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.sessions.end(c.Value)
	}
	http.SetCookie(w, a.cookie(sessionCookie, a.sessions.create(user.Username), "/", int(sessionTTL.Seconds())))
	http.SetCookie(w, a.cookie(loginCookie, "", "/login", -1))
	target := page.ReturnTo
	if target == "" {
		target = "/"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// serveLogout ends the session.
func (a *App) serveLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.sessions.end(c.Value)
	}
	http.SetCookie(w, a.cookie(sessionCookie, "", "/", -1))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
