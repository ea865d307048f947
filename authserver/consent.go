package authserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kunci/kunci/store"
)

// consentNeeded shows the consent page for a pending request. It binds the
// request to a fresh CSRF token and to the browser's binding cookie (see
// [Server.setBindingCookie]); only a hash of the two is stored.
func (s *Server) consentNeeded(w http.ResponseWriter, r *http.Request, req store.AuthRequest, client store.Client, subject string) {
	ctx := r.Context()
	// Take the request and put it back with the new CSRF token: a plain
	// save could bring back a request that a consent POST consumed
	// meanwhile, which would then be decided twice.
	req, err := s.store.ConsumeAuthRequest(ctx, req.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.errorPage(w, r, oauthError(CodeInvalidRequest, "authorization request expired or already used"))
		return
	case err != nil:
		s.errorPage(w, r, unavailable(err))
		return
	}
	csrf := newToken("")
	binding := s.setBindingCookie(w, r)
	req.Subject = subject
	req.CSRFHash = consentHash(csrf, binding)
	if err := s.store.SaveAuthRequest(ctx, req); err != nil {
		s.redirectError(w, r, redirectFor(req, client), unavailable(err))
		return
	}
	page := s.consentPage(r, req, client, subject, csrf)
	setLanguageHeaders(w.Header(), page.Lang)
	s.renderPage(w, r, http.StatusOK, s.consentTmpl, page)
}

// ConsentHandler returns the endpoint that receives the consent form. The
// form must come from the page's own origin (RFC 9700 §4.4, RFC 6819
// §4.4.1.8: a POST whose Sec-Fetch-Site is cross-site or same-site, or whose
// Origin names another origin, is refused), from the signed-in user the page
// was shown to, and from the browser that loaded the page: it carries the
// CSRF token of the page and the browser sends the binding cookie set with
// it. A cross-origin, tampered, foreign, replayed or other-browser
// submission is a 403 error page and mints nothing. The decision is
// answered with a 303 redirect to the client (or, with response_mode
// form_post, the page that posts it). The user may approve fewer scopes
// than were asked for; an OpenID Connect request approved without openid,
// the sign-in itself, is answered with access_denied. An approval whose
// session no longer does for the request (prompt=login, max_age,
// id_token_hint and the claims request's demands, see fitSession) is
// answered with login_required.
func (s *Server) ConsentHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			s.errorPage(w, r, &Error{Code: CodeInvalidRequest, Description: "method not allowed", Status: http.StatusMethodNotAllowed})
			return
		}
		if !s.sameOriginPost(r) {
			s.errorPage(w, r, &Error{Code: CodeAccessDenied, Description: "a consent form may be submitted only from its own page", Status: http.StatusForbidden})
			return
		}
		ctx := r.Context()
		vals, e := parsePostFormValues(w, r)
		if e != nil {
			s.errorPage(w, r, e)
			return
		}
		forbidden := &Error{Code: CodeAccessDenied, Description: "this consent form is not valid", Status: http.StatusForbidden}
		for k, v := range vals {
			if k != "scope" && len(v) > 1 {
				s.errorPage(w, r, forbidden)
				return
			}
		}
		id, csrf, decision := vals.Get("request_id"), vals.Get("csrf_token"), vals.Get("decision")
		if !validRequestID(id) {
			s.errorPage(w, r, forbidden)
			return
		}
		req, err := s.store.AuthRequest(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.errorPage(w, r, unavailable(err))
			return
		}
		sess, signedIn := s.session(r)
		subject := sess.Subject
		if err != nil || req.CSRFHash == "" || !signedIn || subject != req.Subject ||
			(decision != "approve" && decision != "deny") {
			s.errorPage(w, r, forbidden)
			return
		}
		bindings := r.CookiesNamed(s.bindingCookieName())
		if len(bindings) == 0 {
			s.errorPage(w, r, &Error{Code: CodeAccessDenied, Description: "this consent form was opened in another browser", Status: http.StatusForbidden})
			return
		}
		if !boundTo(req.CSRFHash, csrf, bindings) {
			s.errorPage(w, r, forbidden)
			return
		}
		// Take the request: of two submissions only one gets past here.
		req, err = s.store.ConsumeAuthRequest(ctx, id)
		if err != nil {
			s.errorPage(w, r, forbidden)
			return
		}
		client, err := s.store.Client(ctx, req.ClientID)
		if err != nil {
			s.errorPage(w, r, oauthError(CodeInvalidRequest, "unknown client"))
			return
		}
		if decision == "deny" {
			s.emit(ctx, Event{Kind: EventConsentDenied, ClientID: client.ID, Subject: subject})
			s.redirectErrorStatus(w, r, redirectFor(req, client), oauthError(CodeAccessDenied, "the user denied the request"), http.StatusSeeOther)
			return
		}
		if fit, why := fitClientSession(req, client, sess, signedIn, true, time.Now(), s.subjectMatcher(client)); fit != sessionFits {
			// Time passed on the page: the sign-in grew too old for
			// max_age, say.
			s.redirectErrorStatus(w, r, redirectFor(req, client), oauthError(CodeLoginRequired, why), http.StatusSeeOther)
			return
		}
		// The user may approve fewer scopes than were asked for, never more.
		approved := intersect(req.Scopes, vals["scope"])
		if s.signInRefused(req.Scopes, approved) {
			s.emit(ctx, Event{Kind: EventConsentDenied, ClientID: client.ID, Subject: subject})
			s.redirectErrorStatus(w, r, redirectFor(req, client), oauthError(CodeAccessDenied, "the user did not approve signing in"), http.StatusSeeOther)
			return
		}
		if s.cfg.Lifetimes.Consent > 0 {
			s.rememberConsent(ctx, subject, client.ID, approved)
		}
		s.emit(ctx, Event{Kind: EventConsentGranted, ClientID: client.ID, Subject: subject, Scopes: approved})
		s.approve(w, r, req, client, sess, approved, http.StatusSeeOther)
	})
}

// Binding a consent form to a browser.
//
// The consent page is a form any page on the web could try to submit, and
// its CSRF token alone proves only that the submitter saw the page. So the
// response that renders the page also sets a binding cookie: HttpOnly,
// SameSite=Lax (a cross-site POST does not carry it), Secure unless the
// issuer is an http loopback address (Development.AllowHTTPIssuer), with
// Path limited to where the server is mounted and Max-Age no longer than a
// pending request lives. The pending request stores the hash of the CSRF
// token and the cookie's value together, so a POST is accepted only from
// the browser that loaded the page, with the same signed-in subject: a
// request shown in one browser cannot be approved from another.
//
// The cookie holds one random value per browser, reused while the browser
// keeps it, so that consent pages open in two tabs both stay valid. An
// attacker who could plant a cookie for the server's host (a sibling
// subdomain) could choose that value, but would still need the page's CSRF
// token and the user's session; the "__Secure-" name prefix keeps plain
// http pages from planting it.
//
// The pages keep Referrer-Policy: no-referrer, so that no URL of the flow
// leaks through Referer. Under that policy browsers send "Origin: null" on
// the form POST, and so can any page that chooses the same policy; null is
// therefore decided by Sec-Fetch-Site, which every current browser sends
// and no page can forge, and, for a browser too old to send it, by the
// SameSite binding cookie, which a cross-site POST does not carry.

// bindingCookieBase is the binding cookie's name without its prefix.
const bindingCookieBase = "kunci_consent"

// secureCookies reports whether cookies carry the Secure attribute: always,
// unless the issuer is http (which New allows only on a loopback host with
// Development.AllowHTTPIssuer).
func (s *Server) secureCookies() bool {
	return !(len(s.cfg.Issuer) >= len("http://") && strings.EqualFold(s.cfg.Issuer[:len("http://")], "http://"))
}

// bindingCookieName is the binding cookie's name: with the "__Secure-"
// prefix (RFC 6265bis §4.1.3.1) when cookies are secure.
func (s *Server) bindingCookieName() string {
	if s.secureCookies() {
		return "__Secure-" + bindingCookieBase
	}
	return bindingCookieBase
}

// setBindingCookie sets the binding cookie on w and returns its value: the
// one the browser sent when it sent exactly one well-formed value, else a
// fresh random one.
func (s *Server) setBindingCookie(w http.ResponseWriter, r *http.Request) string {
	value := ""
	// A value of newToken's shape (validRequestID checks that shape) is
	// reused; anything else is replaced.
	if sent := r.CookiesNamed(s.bindingCookieName()); len(sent) == 1 && validRequestID(sent[0].Value) {
		value = sent[0].Value
	} else {
		value = newToken("")
	}
	path := mountPrefix(r)
	if path == "" {
		path = "/"
	}
	http.SetCookie(w, &http.Cookie{
		Name:     s.bindingCookieName(),
		Value:    value,
		Path:     path,
		MaxAge:   int(s.cfg.Lifetimes.AuthRequest / time.Second),
		Secure:   s.secureCookies(),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	return value
}

// consentHash is what a pending request stores to bind its consent form:
// the hash of the page's CSRF token and the browser's binding value. Both
// are base64url, so the dot between them is unambiguous.
func consentHash(csrf, binding string) string {
	return hashToken(csrf + "." + binding)
}

// maxBindingCookies bounds how many binding cookies of one POST are tried.
const maxBindingCookies = 4

// boundTo reports whether csrf together with one of the binding cookies the
// browser sent matches the stored hash. Cookies planted under the same name
// (by a sibling subdomain) come first, as browsers send older cookies of
// the same path before newer ones; only the last maxBindingCookies are
// tried, so planting many can neither cost work nor hide the real one.
func boundTo(stored, csrf string, bindings []*http.Cookie) bool {
	bindings = bindings[max(0, len(bindings)-maxBindingCookies):]
	ok := false
	for _, c := range bindings {
		if subtle.ConstantTimeCompare([]byte(consentHash(csrf, c.Value)), []byte(stored)) == 1 {
			ok = true
		}
	}
	return ok
}

// sameOriginPost reports whether a POST may come from the server's own
// pages (RFC 9700 §4.4, RFC 6819 §4.4.1.8). Sec-Fetch-Site must be absent,
// same-origin or none (a user-initiated request); cross-site, same-site and
// any value not known are refused. Origin must be absent, null (see above),
// or have the issuer's scheme and the issuer's or the request's host, so an
// http page cannot post to an https server. Either header sent twice is
// refused.
func (s *Server) sameOriginPost(r *http.Request) bool {
	fetchSite, origin := r.Header.Values("Sec-Fetch-Site"), r.Header.Values("Origin")
	if len(fetchSite) > 1 || len(origin) > 1 {
		return false
	}
	if len(fetchSite) == 1 && fetchSite[0] != "same-origin" && fetchSite[0] != "none" {
		return false
	}
	if len(origin) == 0 || origin[0] == "null" {
		return true
	}
	o, err := url.Parse(origin[0])
	iss, issErr := url.Parse(s.cfg.Issuer)
	if err != nil || issErr != nil || o.Path != "" || o.RawQuery != "" || o.User != nil || o.Scheme != iss.Scheme {
		return false
	}
	return o.Host != "" && (o.Host == r.Host || strings.EqualFold(o.Host, iss.Host))
}

// rememberConsent saves the user's approval so the consent page can be
// skipped next time. Failing to remember is logged, not fatal.
func (s *Server) rememberConsent(ctx context.Context, subject, clientID string, scopes []string) {
	now := time.Now()
	err := s.store.SaveConsent(ctx, store.Consent{
		Subject:   subject,
		ClientID:  clientID,
		Scopes:    slices.Clone(scopes),
		GrantedAt: now,
		ExpiresAt: now.Add(s.cfg.Lifetimes.Consent),
	})
	if err != nil {
		s.logError(ctx, serverError(err))
	}
}

// RevokeConsent forgets that subject approved clientID, so the consent page
// is shown again next time. Tokens already issued stay valid; revoke them
// with [Server.RevokeToken].
func (s *Server) RevokeConsent(ctx context.Context, subject, clientID string) error {
	return s.store.DeleteConsent(ctx, subject, clientID)
}
