package demo

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
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

// serveCallback is the demo clients' redirect URI (and the partner's
// login_uri): it shows the authorization response parameters it got (RFC
// 6749 §4.1.2, §4.1.2.1; RFC 9207), known ones first, from the query or,
// for response_mode=form_post (OAuth 2.0 Form Post Response Mode §2), from
// the POSTed form.
func (a *App) serveCallback(title, text string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxCallbackForm)
			if err := r.ParseForm(); err != nil {
				a.renderMessage(w, http.StatusBadRequest, title, "The posted form could not be read.")
				return
			}
			q = r.PostForm
		}
		page := messagePage{Title: title, Text: text,
			Note: "A token from the implicit grant is in this page's URL fragment, after the #; browsers never send it to a server."}
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
