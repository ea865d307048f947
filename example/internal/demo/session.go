package demo

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/kunci/kunci/authserver"
)

// Cookie names. The session cookie says who is signed in; the login cookie
// is the pre-session value the login form's CSRF token is bound to. Behind
// an https issuer both carry the "__Host-" prefix (see [App.cookieName]).
const (
	sessionCookie = "kunci_demo_session"
	loginCookie   = "kunci_demo_login"
)

// hostPrefix is the cookie name prefix (RFC 6265bis §4.1.3.2) that browsers
// accept only with Secure, Path=/ and no Domain, set by a secure origin: a
// sibling subdomain or a plain-http page cannot set such a cookie.
const hostPrefix = "__Host-"

// sessionTTL is how long a sign-in lasts.
const sessionTTL = 12 * time.Hour

// pruneAt is the number of sessions above which creating one first drops
// the expired ones, which bounds the map by the number of live sessions.
const pruneAt = 1024

// sessions maps random session IDs to usernames. It is safe for concurrent
// use.
type sessions struct {
	mu  sync.Mutex
	m   map[string]session
	now func() time.Time
}

type session struct {
	username string
	signedIn time.Time
	expires  time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{m: make(map[string]session), now: now}
}

// randomID returns an unguessable ID: 130 bits from crypto/rand.
func randomID() string {
	return rand.Text()
}

// create starts a session for username and returns its ID.
func (s *sessions) create(username string) string {
	id := randomID()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.m) >= pruneAt {
		for k, v := range s.m {
			if !now.Before(v.expires) {
				delete(s.m, k)
			}
		}
	}
	s.m[id] = session{username: username, signedIn: now, expires: now.Add(sessionTTL)}
	return id
}

// lookup returns a live session.
func (s *sessions) lookup(id string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if !ok {
		return session{}, false
	}
	if !s.now().Before(v.expires) {
		delete(s.m, id)
		return session{}, false
	}
	return v, true
}

// end forgets a session.
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// currentSession is authserver.Config.Browser.Session: the user of the
// request's session cookie, if it names a live session, signed in with a
// password ("pwd", RFC 8176).
func (a *App) currentSession(r *http.Request) (authserver.Session, bool) {
	id := a.readCookie(r, sessionCookie)
	if id == "" {
		return authserver.Session{}, false
	}
	s, ok := a.sessions.lookup(id)
	if !ok {
		return authserver.Session{}, false
	}
	return authserver.Session{Subject: s.username, AuthTime: s.signedIn, AMR: []string{"pwd"}, ID: sessionRef(id)}, true
}

// sessionRef is the session's "sid": a hash of the cookie value, so the
// cookie itself never leaves the app.
func sessionRef(id string) string {
	sum := sha256.Sum256([]byte("sid:" + id))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// cookieName is name with the "__Host-" prefix when the app's cookies are
// Secure (an https issuer). On plain http (loopback only) there is no
// prefix to use.
func (a *App) cookieName(name string) string {
	if a.secure {
		return hostPrefix + name
	}
	return name
}

// readCookie returns the value of the request's cookie called
// cookieName(name), or "". An unprefixed cookie of the same name, which a
// sibling subdomain could have planted, is ignored behind https.
func (a *App) readCookie(r *http.Request, name string) string {
	c, err := r.Cookie(a.cookieName(name))
	if err != nil {
		return ""
	}
	return c.Value
}

// cookie returns a cookie with the app's attributes: Path=/, HttpOnly,
// SameSite=Lax, and, unless the app runs on plain http (loopback only),
// Secure and the "__Host-" name prefix.
func (a *App) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     a.cookieName(name),
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   a.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// encodeMAC is the text form of an HMAC in a cookie or a CSRF token.
func encodeMAC(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
