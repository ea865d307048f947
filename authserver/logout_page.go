package authserver

import (
	"html/template"
	"net/http"
)

// LogoutPage is the data the logout templates receive (OpenID Connect
// RP-Initiated Logout 1.0 §2): OpenID.LogoutTemplate, which asks the
// signed-in user to confirm signing out, and OpenID.SignedOutTemplate,
// which says the user is signed out.
type LogoutPage struct {
	// ClientID and ClientName identify the client that asked, when the
	// request named one; ClientName is the registered name, or the ID
	// when it has none. Both are empty when no client is known.
	ClientID   string
	ClientName string
	// Subject is the signed-in user; empty on the signed-out page.
	Subject string
	// UILocales are the ui_locales the client sent, in order of
	// preference, to choose the page's language from.
	UILocales []string
	// Action is where the logout form posts to. Fields and CSRFToken must
	// be sent back as hidden fields, Fields under their names and
	// CSRFToken as "csrf_token"; the form must be posted from the page by
	// the browser that loaded it, whose response set the binding cookie
	// (see [Server.EndSessionHandler]). Empty on the signed-out page.
	Action    string
	Fields    []LogoutField
	CSRFToken string
	// Lang is the page's language (see [PageTexts] and Config.Browser),
	// chosen from UILocales, else the browser's Accept-Language, else
	// Browser.DefaultLanguage; Texts are its words.
	Lang  string
	Texts PageTexts
}

// LogoutField is a hidden field of the logout form.
type LogoutField struct{ Name, Value string }

// logoutPage returns the page data for lr and the signed-in user sess.
func (s *Server) logoutPage(r *http.Request, lr logoutRequest, sess Session) LogoutPage {
	page := LogoutPage{Subject: sess.Subject, UILocales: lr.uiLocales}
	page.Lang, page.Texts = s.pageLocale(r, lr.uiLocales)
	if lr.known {
		page.ClientID, page.ClientName = lr.client.ID, lr.client.Name
		if page.ClientName == "" {
			page.ClientName = lr.client.ID
		}
	}
	if sess.Subject != "" {
		page.Action = mountPrefix(r) + s.cfg.Paths.EndSession
	}
	return page
}

// logoutTemplates returns the logout pages: the host's, or the built-in
// ones where it set none.
func logoutTemplates(o OpenID) (confirm, signedOut *template.Template, err error) {
	confirm, signedOut = o.LogoutTemplate, o.SignedOutTemplate
	if confirm == nil {
		if confirm, err = template.ParseFS(templateFS, "templates/logout.html", "templates/style.html"); err != nil {
			return nil, nil, err
		}
	}
	if signedOut == nil {
		if signedOut, err = template.ParseFS(templateFS, "templates/logout_done.html", "templates/style.html"); err != nil {
			return nil, nil, err
		}
	}
	return confirm, signedOut, nil
}
