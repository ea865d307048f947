package demo

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Cookie names. The session cookie says who is signed in; the login cookie
// is the pre-session value the login form's CSRF token is bound to.
const (
	sessionCookie = "kunci_demo_session"
	loginCookie   = "kunci_demo_login"
)

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
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	return a.sessions.lookup(c.Value)
}

// cookie returns a cookie with the app's attributes: HttpOnly, SameSite=Lax,
// and Secure unless the app runs on plain http (loopback only).
func (a *App) cookie(name, value, path string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     path,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   a.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// encodeMAC is the text form of a CSRF token.
func encodeMAC(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
