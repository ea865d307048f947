package demo

import (
	"net/http"

	"github.com/kunci/kunci/authserver"
)

// endSession is authserver.Config.OpenID.EndSession (OpenID Connect
// RP-Initiated Logout 1.0 §2): it ends the demo session of the request's
// cookie, as POST /logout does, and writes nothing else.
func (a *App) endSession(w http.ResponseWriter, r *http.Request, _ authserver.Session) error {
	a.endBrowserSession(w, r)
	return nil
}

// endBrowserSession forgets the session of the request's cookie and
// clears the cookie.
func (a *App) endBrowserSession(w http.ResponseWriter, r *http.Request) {
	if id := a.readCookie(r, sessionCookie); id != "" {
		a.sessions.end(id)
	}
	http.SetCookie(w, a.cookie(sessionCookie, "", -1))
}
