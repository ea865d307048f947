package authserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/kunci/kunci/store"
)

// consentNeeded shows the consent page for a pending request. It binds a
// fresh CSRF token to the request; only its hash is stored.
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
	req.Subject = subject
	req.CSRFHash = hashToken(csrf)
	if err := s.store.SaveAuthRequest(ctx, req); err != nil {
		s.redirectError(w, r, redirectFor(req, client), unavailable(err))
		return
	}
	page := ConsentPage{
		ClientID:   client.ID,
		ClientName: client.Name,
		Subject:    subject,
		Action:     mountPrefix(r) + s.cfg.Paths.Consent,
		RequestID:  req.ID,
		CSRFToken:  csrf,
	}
	if page.ClientName == "" {
		page.ClientName = client.ID
	}
	for _, name := range req.Scopes {
		page.Scopes = append(page.Scopes, s.scopes[name])
	}
	s.renderPage(w, r, http.StatusOK, s.consentTmpl, page)
}

// ConsentHandler returns the endpoint that receives the consent form. The
// form must come from the signed-in user the page was shown to and carry the
// CSRF token bound to the pending request; a tampered, foreign or replayed
// submission is 403 and mints nothing. The decision is answered with a 303
// redirect to the client.
func (s *Server) ConsentHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			s.errorPage(w, r, &Error{Code: CodeInvalidRequest, Description: "method not allowed", Status: http.StatusMethodNotAllowed})
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
			subtle.ConstantTimeCompare([]byte(hashToken(csrf)), []byte(req.CSRFHash)) != 1 ||
			(decision != "approve" && decision != "deny") {
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
		// The user may approve fewer scopes than were asked for, never more.
		approved := intersect(req.Scopes, vals["scope"])
		if s.cfg.Lifetimes.Consent > 0 {
			s.rememberConsent(ctx, subject, client.ID, approved)
		}
		s.emit(ctx, Event{Kind: EventConsentGranted, ClientID: client.ID, Subject: subject, Scopes: approved})
		s.approve(w, r, req, client, sess, approved, http.StatusSeeOther)
	})
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
