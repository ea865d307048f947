package authserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The logout page's form (RP-Initiated Logout 1.0 §2: the OP asks the user
// whether to sign out unless the request's id_token_hint names the user).
//
// The form is protected as the consent form is (see the binding cookie in
// consent.go): it must be posted from the page's own origin, by the
// browser that loaded it, for the user it was shown to. Unlike a consent
// page it has no pending request to keep its CSRF token in, and a
// cross-site request must not make the server store anything, so the
// token is a MAC instead: under a key of this server, over the binding
// cookie's value, the signed-in subject, the form's fields and an expiry
// (Lifetimes.AuthRequest from now). Changing any field, posting from
// another browser or as another user, or posting late fails the check.

// logoutFields are the form's fields besides csrf_token, in MAC order.
var logoutFields = []string{"client_id", "post_logout_redirect_uri", "state", "ui_locales"}

// logoutKeyLabel separates the logout form's MAC key from the refresh
// token key it is derived from.
const logoutKeyLabel = "kunci logout form v1"

// newLogoutKey derives the key of logout form tokens from the server's
// refresh token key (RefreshRotation.Key, or this Server's random one), so
// that instances sharing that key accept each other's forms.
func newLogoutKey(refreshKey []byte) []byte {
	mac := hmac.New(sha256.New, refreshKey)
	mac.Write([]byte(logoutKeyLabel))
	return mac.Sum(nil)
}

// logoutFormValues returns the form's fields for lr.
func logoutFormValues(lr logoutRequest) url.Values {
	v := url.Values{}
	if lr.known {
		v.Set("client_id", lr.client.ID)
	}
	v.Set("post_logout_redirect_uri", lr.redirectURI)
	v.Set("state", lr.state)
	v.Set("ui_locales", strings.Join(lr.uiLocales, " "))
	return v
}

// logoutToken returns the CSRF token of a logout form with fields, shown to
// subject in the browser whose binding cookie is binding, valid until
// expires: the expiry in seconds, a dot, and the MAC, both base64url.
func (s *Server) logoutToken(binding, subject string, fields url.Values, expires time.Time) string {
	exp := binary.BigEndian.AppendUint64(nil, uint64(expires.Unix()))
	return b64.EncodeToString(exp) + "." + b64.EncodeToString(s.logoutMAC(binding, subject, fields, exp))
}

// logoutMAC is the MAC of a logout form token. Every input is length
// prefixed, so no two different inputs run together into the same bytes.
func (s *Server) logoutMAC(binding, subject string, fields url.Values, exp []byte) []byte {
	mac := hmac.New(sha256.New, s.logoutKey)
	put := func(v string) {
		mac.Write(binary.AppendUvarint(nil, uint64(len(v))))
		mac.Write([]byte(v))
	}
	put(binding)
	put(subject)
	for _, f := range logoutFields {
		put(fields.Get(f))
	}
	mac.Write(exp)
	return mac.Sum(nil)
}

// logoutTokenValid reports whether token is the CSRF token of a form with
// fields for subject, unexpired at now, in a browser that sent one of
// bindings (the last maxBindingCookies, as for the consent form).
func (s *Server) logoutTokenValid(token, subject string, fields url.Values, bindings []*http.Cookie, now time.Time) bool {
	expPart, macPart, ok := strings.Cut(token, ".")
	if !ok || len(expPart) != 11 || len(macPart) != 43 {
		return false
	}
	exp, err1 := b64.DecodeString(expPart)
	got, err2 := b64.DecodeString(macPart)
	if err1 != nil || err2 != nil || now.Unix() > int64(binary.BigEndian.Uint64(exp)) {
		return false
	}
	valid := false
	for _, c := range bindings[max(0, len(bindings)-maxBindingCookies):] {
		if hmac.Equal(s.logoutMAC(c.Value, subject, fields, exp), got) {
			valid = true
		}
	}
	return valid
}

// askLogout shows the logout page to the signed-in user sess, with a form
// that confirms the request lr.
func (s *Server) askLogout(w http.ResponseWriter, r *http.Request, lr logoutRequest, sess Session) {
	binding := s.setBindingCookie(w, r)
	page := s.logoutPage(r, lr, sess)
	fields := logoutFormValues(lr)
	page.CSRFToken = s.logoutToken(binding, sess.Subject, fields, time.Now().Add(s.cfg.Lifetimes.AuthRequest))
	for _, f := range logoutFields {
		if v := fields.Get(f); v != "" {
			page.Fields = append(page.Fields, LogoutField{Name: f, Value: v})
		}
	}
	setLanguageHeaders(w.Header(), page.Lang)
	s.renderPage(w, r, http.StatusOK, s.logoutTmpl, page)
}

// confirmLogout receives the logout page's form. A form that does not come
// from the page, from the browser that loaded it and the user it was shown
// to, in time, is a 403 page and signs nobody out. When nobody is signed in
// any more the user is simply signed out.
func (s *Server) confirmLogout(w http.ResponseWriter, r *http.Request, params url.Values) {
	forbidden := &Error{Code: CodeAccessDenied, Description: "this logout form is not valid", Status: http.StatusForbidden}
	if !s.sameOriginPost(r) {
		s.errorPage(w, r, &Error{Code: CodeAccessDenied, Description: "a logout form may be submitted only from its own page", Status: http.StatusForbidden})
		return
	}
	for k, v := range params {
		if len(v) > 1 || (k != "csrf_token" && !slices.Contains(logoutFields, k)) {
			s.errorPage(w, r, forbidden)
			return
		}
	}
	sess, signedIn := s.session(r)
	if signedIn {
		bindings := r.CookiesNamed(s.bindingCookieName())
		if len(bindings) == 0 {
			s.errorPage(w, r, &Error{Code: CodeAccessDenied, Description: "this logout form was opened in another browser", Status: http.StatusForbidden})
			return
		}
		if !s.logoutTokenValid(params.Get("csrf_token"), sess.Subject, params, bindings, time.Now()) {
			s.errorPage(w, r, forbidden)
			return
		}
	}
	// The fields are the page's own; the client's registration is read
	// again, in case it changed since.
	params.Del("csrf_token")
	lr, e := s.parseLogout(r, params)
	if e != nil {
		s.errorPage(w, r, e)
		return
	}
	if !signedIn {
		s.afterLogout(w, r, lr)
		return
	}
	s.endSession(w, r, lr, sess)
}
