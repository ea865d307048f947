package authserver

import (
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
)

// The response modes of the authorization endpoint (OAuth 2.0 Multiple
// Response Type Encoding Practices §2.1, OAuth 2.0 Form Post Response Mode
// §2).
const (
	// responseModeQuery puts the answer in the redirect URI's query: the
	// default for response_type code (RFC 6749 §4.1.2).
	responseModeQuery = "query"
	// responseModeFragment puts it in the fragment: the default for
	// response_type token (RFC 6749 §4.2.2).
	responseModeFragment = "fragment"
	// responseModeFormPost posts it to the redirect URI from an
	// auto-submitting form, so that it reaches neither the browser's
	// history nor a Referer.
	responseModeFormPost = "form_post"
)

// responseMode checks the response_mode of a request for rt and returns
// the mode the pending request keeps: "" for rt's default, or form_post.
// A response type that returns a token or an ID Token from the
// authorization endpoint (token, and the implicit and hybrid types of
// OpenID Connect) answers in the fragment by default, and query is
// refused for it: a token must never be in a query (Multiple Response
// Types §2.1, §3). fragment for code, which kunci does not offer, is
// refused too; any other value is invalid_request. A repeated
// response_mode is left to authorizeRequest, which refuses every repeated
// parameter, and the answer goes in rt's default mode meanwhile.
func responseMode(params url.Values, rt ResponseType) (string, *Error) {
	v := params["response_mode"]
	if len(v) != 1 {
		return "", nil
	}
	front := rt.frontChannel()
	switch mode := v[0]; {
	case mode == "":
		return "", nil
	case mode == responseModeFormPost:
		return responseModeFormPost, nil
	case mode == responseModeQuery && !front, mode == responseModeFragment && front:
		return "", nil
	}
	return "", oauthError(CodeInvalidRequest, "unsupported response_mode for this response_type")
}

// responseModes lists the modes for the metadata document
// (response_modes_supported, RFC 8414 §2): query and form_post with the
// code flow, fragment with the implicit grant, which every response type
// answered in the fragment needs (Config.OpenID.ResponseTypes).
func (s *Server) responseModes() []string {
	var modes []string
	if slices.Contains(s.cfg.Grants, GrantAuthorizationCode) {
		modes = append(modes, responseModeQuery)
	}
	if slices.Contains(s.cfg.Grants, GrantImplicit) {
		modes = append(modes, responseModeFragment)
	}
	if modes == nil {
		return nil
	}
	return append(modes, responseModeFormPost)
}

// formPostPage is the data of the form_post page.
type formPostPage struct {
	// Action is the redirect URI, registered and without a scheme that
	// runs code (checkRedirectURI), so it is used as is.
	Action template.URL
	Fields []formField
	Nonce  string
	// Lang and Texts are the page's language and words (see pageLocale).
	Lang  string
	Texts PageTexts
}

// formField is a hidden field of the form_post page.
type formField struct{ Name, Value string }

// formPost answers with the page of OAuth 2.0 Form Post Response Mode §2:
// an HTML form that posts params (code or error, state, iss) to the
// redirect URI and submits itself, or shows a button when scripts are off.
// Its Content-Security-Policy allows no script but that one, by a nonce
// fresh for every response, and no other content. It sets no form-action:
// browsers apply it to the redirects that the client's endpoint answers
// the POST with too, and would stop a client that redirects after reading
// the code. Like every page it is never cached, framed or sent as a
// Referer.
func (s *Server) formPost(w http.ResponseWriter, r *http.Request, to *authRedirect, params url.Values) {
	uri := to.uri
	if u, err := url.Parse(uri); err != nil || codeScheme(u.Scheme) {
		// A record stored by other means than RegisterClient.
		s.errorPage(w, r, oauthError(CodeInvalidRequest, "redirect_uri cannot receive a form post"))
		return
	}
	page := formPostPage{Action: template.URL(uri), Nonce: newToken("")}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		page.Fields = append(page.Fields, formField{Name: k, Value: params.Get(k)})
	}
	locales := to.uiLocales
	if locales == nil {
		locales = queryUILocales(r)
	}
	page.Lang, page.Texts = s.pageLocale(r, locales)
	setLanguageHeaders(w.Header(), page.Lang)
	csp := "default-src 'none'; script-src 'nonce-" + page.Nonce + "'; base-uri 'none'; frame-ancestors 'none'"
	s.writePage(w, r, http.StatusOK, s.formPostTmpl, page, csp)
}
