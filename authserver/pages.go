package authserver

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

// formPostTemplate parses the page of the form_post response mode, which
// hosts do not replace: it holds nothing but the response.
func formPostTemplate() (*template.Template, error) {
	return template.ParseFS(templateFS, "templates/form_post.html")
}

// defaultTemplates parses the built-in consent and error pages, each with
// the stylesheet they share (templates/style.html).
func defaultTemplates() (consent, errPage *template.Template, err error) {
	consent, err = template.ParseFS(templateFS, "templates/consent.html", "templates/style.html")
	if err != nil {
		return nil, nil, err
	}
	errPage, err = template.ParseFS(templateFS, "templates/error.html", "templates/style.html")
	return consent, errPage, err
}

// ConsentPage is the data the consent template receives.
type ConsentPage struct {
	// ClientID and ClientName identify the client. ClientName is the
	// registered name, never one sent in the request.
	ClientID   string
	ClientName string
	// Subject is the signed-in user.
	Subject string
	// Scopes are the requested scopes with their descriptions; each is a
	// checkbox named "scope" so the user may approve fewer.
	Scopes []Scope
	// Action is where the form posts to.
	Action string
	// Claims are the claims about the user that the client asked for by
	// name (OpenID Connect Core §5.5) beyond what the requested scopes
	// release; approving the request releases them too, so a custom
	// ConsentTemplate must show them. Empty for most requests.
	Claims []RequestedClaim
	// RequestID and CSRFToken must be sent back as the hidden fields
	// "request_id" and "csrf_token". The form must be posted from the page
	// itself, by the browser that loaded it: the response that renders the
	// page sets the binding cookie that the POST must carry (see
	// [Server.ConsentHandler]).
	RequestID string
	CSRFToken string

	// Lang is the page's language, a key of Browser.Texts (see there for
	// how it is chosen), for <html lang>; Texts are the page's words in
	// it. Each Scope's Description above is already in Lang
	// ([Scope].Descriptions).
	Lang  string
	Texts PageTexts
	// LogoURI, ClientURI, PolicyURI and TOSURI are the client's registered
	// logo_uri, client_uri, policy_uri and tos_uri (RFC 7591 §2), each
	// empty when the client has none or has one that
	// [Server.RegisterClient] would refuse. Show the logo with a fixed
	// size; the server never fetches it.
	LogoURI   string
	ClientURI string
	PolicyURI string
	TOSURI    string
	// RedirectHost is the host (with the port, if any) of the redirect URI
	// the user will be sent to after deciding, or the scheme and a colon
	// for a URI without a host; show it, so that a client whose name looks
	// like another's cannot hide where the user goes.
	RedirectHost string
	// RequiredScopes and OptionalScopes split Scopes: the ones marked
	// [Scope].Required, which the page lists without a checkbox and posts
	// back as hidden "scope" fields, and the ones the user may untick.
	RequiredScopes []Scope
	OptionalScopes []Scope
}

// Fill returns text, one of Texts, with "{client}" replaced by ClientName.
// The result is plain text, for the template to escape.
func (p ConsentPage) Fill(text string) string {
	return strings.ReplaceAll(text, "{client}", p.ClientName)
}

// RequestedClaim is a claim a client asked for by name in the claims
// request parameter (OpenID Connect Core §5.5.1).
type RequestedClaim struct {
	// Name is the claim's name, such as "email".
	Name string
	// Essential says the client marked it essential: it needs the claim
	// for the user's task (Core §5.5.1).
	Essential bool
}

// ErrorPage is the data the error template receives.
type ErrorPage struct {
	// Status is the HTTP status of the page.
	Status int
	// Code is the OAuth error code.
	Code ErrorCode
	// Description explains the error to the user, in English, the
	// language of the protocol's error descriptions.
	Description string

	// Lang is the page's language (see [Browser].Texts) and Texts its
	// words in it. An error page knows the ui_locales of the request only
	// when its query carries them.
	Lang  string
	Texts PageTexts
}

// pageHeaders sets the headers every page and browser redirect carries:
// no framing (clickjacking, RFC 6749 §10.13), no referrer (codes and tokens
// must not leak through Referer), and no caching.
func pageHeaders(h http.Header) {
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// renderPage executes tmpl into a buffer first, so that a template error
// never leaves a half-written page.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, tmpl *template.Template, data any) {
	s.writePage(w, r, status, tmpl, data, "")
}

// writePage is renderPage with csp, when not empty, as the page's
// Content-Security-Policy.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, status int, tmpl *template.Template, data any, csp string) {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		s.logError(r.Context(), serverError(err))
		pageHeaders(w.Header())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pageHeaders(w.Header())
	if csp != "" {
		w.Header().Set("Content-Security-Policy", csp)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage shows e to the user instead of redirecting, as RFC 6749
// §4.1.2.1 requires when the client or redirect URI cannot be trusted.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, e *Error) {
	s.logError(r.Context(), e)
	status := e.HTTPStatus()
	if status == http.StatusUnauthorized {
		status = http.StatusBadRequest
	}
	lang, texts := s.pageLocale(r, queryUILocales(r))
	setLanguageHeaders(w.Header(), lang)
	s.renderPage(w, r, status, s.errorTmpl, ErrorPage{Status: status, Code: e.Code, Description: e.Description, Lang: lang, Texts: texts})
}
