package demo

import (
	"bytes"
	"embed"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
)

// templateFiles holds the login page and the plain message pages.
//
//go:embed templates/*.html
var templateFiles embed.FS

// messagePage is the data of message.html.
type messagePage struct {
	Title      string
	Text       string
	Params     []param
	Note       string
	User       string
	ShowSignIn bool
}

type param struct{ Name, Value string }

func parseTemplates() (*template.Template, error) {
	return template.ParseFS(templateFiles, "templates/*.html")
}

// pageHeaders keeps the app's pages out of frames and caches, and keeps
// codes in the callback URL out of Referer headers.
func pageHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

// render executes a template into a buffer first, so a failure is a clean
// 500 instead of half a page.
func (a *App) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := a.pages.ExecuteTemplate(&buf, name, data); err != nil {
		a.log.Error("demo: rendering page", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pageHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (a *App) renderMessage(w http.ResponseWriter, status int, title, text string) {
	a.render(w, status, "message.html", messagePage{Title: title, Text: text})
}

// serveHome says who is signed in.
func (a *App) serveHome(w http.ResponseWriter, r *http.Request) {
	sess, _ := a.currentSession(r)
	user := sess.Subject
	a.render(w, http.StatusOK, "message.html", messagePage{
		Title: "kunci demo",
		Text:  "An OAuth 2.0 authorization server and a protected API. The walkthrough printed at start shows every flow.",
		User:  user, ShowSignIn: user == "",
	})
}

// maxCallbackForm bounds the body of a form_post callback.
const maxCallbackForm = 64 << 10

// Notes of the callback page, for the two ways the parameters arrive.
const (
	queryNote = "A token from the implicit grant is in this page's URL fragment, after the #; browsers never send it to a server."
	postNote  = "These parameters came by POST (response_mode=form_post), so they are in neither the browser's history nor a Referer."
)

// serveCallback is the demo clients' redirect URI (and the partner's
// login_uri): it shows the authorization response parameters it got (RFC
// 6749 §4.1.2, §4.1.2.1; RFC 9207), known ones first, from the query or,
// for response_mode=form_post (OAuth 2.0 Form Post Response Mode §2), from
// the POSTed form, which [postedResponse] checks first.
func (a *App) serveCallback(title, text string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, note := r.URL.Query(), queryNote
		if r.Method == http.MethodPost {
			form, problem := postedResponse(w, r)
			if problem != "" {
				a.renderMessage(w, http.StatusBadRequest, title, problem)
				return
			}
			q, note = form, postNote
		}
		page := messagePage{Title: title, Text: text, Note: note}
		known := []string{"code", "state", "iss", "error", "error_description"}
		var extra []string
		for name := range q {
			if !slices.Contains(known, name) {
				extra = append(extra, name)
			}
		}
		slices.Sort(extra)
		for _, name := range append(known, extra...) {
			if q.Has(name) {
				page.Params = append(page.Params, param{name, q.Get(name)})
			}
		}
		a.render(w, http.StatusOK, "message.html", page)
	})
}

// postedResponse reads the authorization response that a form_post page
// posted (OAuth 2.0 Form Post Response Mode §2: an
// application/x-www-form-urlencoded body, at most maxCallbackForm bytes).
// It returns the form, or the problem to show: a body that cannot be read,
// a form with neither code (RFC 6749 §4.1.2) nor error (§4.1.2.1) or with
// both, or a parameter given twice (§3.1). The query is ignored.
func postedResponse(w http.ResponseWriter, r *http.Request) (url.Values, string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxCallbackForm)
	if err := r.ParseForm(); err != nil {
		return nil, "The posted form could not be read."
	}
	form := r.PostForm
	if form.Has("code") == form.Has("error") {
		return nil, "The posted form is not an authorization response: it must carry either a code or an error."
	}
	for _, name := range slices.Sorted(maps.Keys(form)) {
		if len(form[name]) > 1 {
			return nil, "The posted form repeats the parameter " + name + "."
		}
	}
	return form, ""
}
