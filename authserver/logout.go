package authserver

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kunci/kunci/store"
)

// EndSessionHandler returns the end_session_endpoint (OpenID Connect
// RP-Initiated Logout 1.0) on its own, for hosts that route endpoints
// themselves. It answers GET with the parameters in the query and POST
// with them in an application/x-www-form-urlencoded body (§2):
// id_token_hint, client_id, post_logout_redirect_uri, state and
// ui_locales.
//
// An id_token_hint must be an ID Token this server issued, expired ones
// too (§4); client_id, when sent as well, must be among its audience.
// The signed-in user (Browser.Session) is signed out at once, by the
// host's OpenID.EndSession, only when the hint names that user; in every
// other case, without a hint, with a hint of another user, and for a
// cross-site request that names only a client, the user first sees the
// logout page ([LogoutPage]) and confirms with a form that must be posted
// from that page by the browser that loaded it (the consent form's rule:
// same origin, a CSRF token bound to the binding cookie and to the
// signed-in user). Nothing is stored for the page: its token is a MAC that
// expires with Lifetimes.AuthRequest.
//
// After signing out, or when nobody was signed in, the browser is
// redirected to post_logout_redirect_uri, with state, when it is one the
// client registered (Client.PostLogoutRedirectURIs, compared exactly, §3);
// any other URI, or one whose client is not identified by client_id or
// the hint, is never redirected to: the user sees the signed-out page.
// Errors (invalid_request for a forged or foreign hint, a client_id that
// contradicts it, an unknown client or a malformed parameter) are shown on
// the error page, never redirected (§4). kunci itself forgets nothing
// when a user signs out: see OpenID.EndSession. Without the endpoint
// configured the handler answers 404.
func (s *Server) EndSessionHandler() http.Handler {
	return http.HandlerFunc(s.serveEndSession)
}

// logoutRequest is a checked logout request.
type logoutRequest struct {
	// client is the client the request identifies by client_id or its
	// hint's audience; known says there is one.
	client store.Client
	known  bool
	// hintSubject is the sub of a verified id_token_hint, as the client
	// knows it (pairwise for a pairwise client); empty without a hint.
	hintSubject string
	// redirectURI is the post_logout_redirect_uri when the client
	// registered it, else empty.
	redirectURI string
	state       string
	uiLocales   []string
}

func (s *Server) serveEndSession(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.endSessionEnabled() {
		http.NotFound(w, r)
		return
	}
	var params url.Values
	var e *Error
	switch r.Method {
	case http.MethodGet:
		params, e = parseParams(r.URL.RawQuery)
	case http.MethodPost:
		params, e = parsePostFormValues(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		e = &Error{Code: CodeInvalidRequest, Description: "method not allowed", Status: http.StatusMethodNotAllowed}
	}
	if e != nil {
		s.errorPage(w, r, e)
		return
	}
	if r.Method == http.MethodPost && params.Has("csrf_token") {
		s.confirmLogout(w, r, params)
		return
	}
	lr, e := s.parseLogout(r, params)
	if e != nil {
		s.errorPage(w, r, e)
		return
	}
	sess, signedIn := s.session(r)
	switch {
	case !signedIn:
		s.afterLogout(w, r, lr)
	case lr.hintSubject != "" && s.subjectNames(lr.client, lr.hintSubject, sess.Subject):
		s.endSession(w, r, lr, sess)
	default:
		s.askLogout(w, r, lr, sess)
	}
}

// parseLogout checks the parameters of a logout request (RP-Initiated
// Logout 1.0 §2, §3). Every error is shown as a page.
func (s *Server) parseLogout(r *http.Request, params url.Values) (logoutRequest, *Error) {
	var lr logoutRequest
	for _, v := range params {
		if len(v) > 1 {
			return lr, oauthError(CodeInvalidRequest, "a parameter is repeated")
		}
	}
	if st := params.Get("state"); len(st) > maxStateLen || !vschar(st) {
		return lr, oauthError(CodeInvalidRequest, "malformed state")
	}
	if v := params.Get("ui_locales"); len(v) > maxHintLen || !vschar(v) {
		return lr, oauthError(CodeInvalidRequest, "ui_locales is malformed or too long")
	}
	lr.state, lr.uiLocales = params.Get("state"), strings.Fields(params.Get("ui_locales"))
	clientID := params.Get("client_id")
	if !vschar(clientID) || len(clientID) > maxTokenLen*4 {
		return lr, oauthError(CodeInvalidRequest, "client_id is malformed")
	}
	if hint := params.Get("id_token_hint"); hint != "" {
		c, ok := s.verifyIDTokenHint(hint)
		switch {
		case !ok:
			return lr, oauthError(CodeInvalidRequest, "id_token_hint is not an ID Token this server issued")
		case clientID != "" && !slices.Contains(c.Audience, clientID):
			return lr, oauthError(CodeInvalidRequest, "client_id is not the audience of id_token_hint")
		case clientID == "" && len(c.Audience) != 1:
			return lr, oauthError(CodeInvalidRequest, "id_token_hint has several audiences: send client_id")
		case clientID == "":
			clientID = c.Audience[0]
		}
		lr.hintSubject = c.Subject
	}
	if clientID == "" && params.Get("post_logout_redirect_uri") != "" {
		// §2: the URI must come with id_token_hint or client_id, the
		// client whose registration it is checked against.
		return lr, oauthError(CodeInvalidRequest, "post_logout_redirect_uri needs client_id or id_token_hint")
	}
	if clientID != "" {
		client, err := s.store.Client(r.Context(), clientID)
		switch {
		case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
			return lr, oauthError(CodeInvalidRequest, "unknown client")
		case err != nil:
			return lr, unavailable(err)
		}
		lr.client, lr.known = client, true
	}
	lr.redirectURI = registeredLogoutURI(lr, params.Get("post_logout_redirect_uri"))
	return lr, nil
}

// registeredLogoutURI returns uri when the request's client registered it
// as a post_logout_redirect_uri (exact match, RP-Initiated Logout 1.0 §3),
// else empty: the user then sees the signed-out page.
func registeredLogoutURI(lr logoutRequest, uri string) string {
	if uri == "" || !lr.known || !slices.Contains(lr.client.PostLogoutRedirectURIs, uri) {
		return ""
	}
	return uri
}

// endSession has the host end sess and answers the request.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, lr logoutRequest, sess Session) {
	if err := s.cfg.OpenID.EndSession(w, r, sess); err != nil {
		s.errorPage(w, r, serverError(err))
		return
	}
	s.afterLogout(w, r, lr)
}

// afterLogout answers a request whose user is signed out: a redirect to
// the registered post_logout_redirect_uri with state (302 after a GET, 303
// after a POST), or the signed-out page.
func (s *Server) afterLogout(w http.ResponseWriter, r *http.Request, lr logoutRequest) {
	if lr.redirectURI == "" {
		page := s.logoutPage(r, lr, Session{})
		setLanguageHeaders(w.Header(), page.Lang)
		s.renderPage(w, r, http.StatusOK, s.signedOutTmpl, page)
		return
	}
	to := lr.redirectURI
	if lr.state != "" {
		to = appendParams(to, url.Values{"state": {lr.state}}, false)
	}
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	pageHeaders(w.Header())
	w.Header().Set("Location", to)
	w.WriteHeader(status)
}
