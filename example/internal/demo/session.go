package demo

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
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
	s.m[id] = session{username: username, expires: now.Add(sessionTTL)}
	return id
}

// lookup returns the username of a live session.
func (s *sessions) lookup(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if !ok {
		return "", false
	}
	if !s.now().Before(v.expires) {
		delete(s.m, id)
		return "", false
	}
	return v.username, true
}

// end forgets a session.
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// currentUser is authserver.Config.CurrentUser: the user of the request's
// session cookie, if it names a live session.
func (a *App) currentUser(r *http.Request) (string, bool) {
	id := a.readCookie(r, sessionCookie)
	if id == "" {
		return "", false
	}
	return a.sessions.lookup(id)
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
