package authserver_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// testHost is a host whose session the test sets: who is signed in, when
// they authenticated and with which ACR. The server reads it through
// session; tests drive the server in process (inproc), so one goroutine
// does both.
type testHost struct {
	subject  string
	authTime time.Time
	acr      string
}

func (h *testHost) session(*http.Request) (authserver.Session, bool) {
	if h.subject == "" {
		return authserver.Session{}, false
	}
	return authserver.Session{Subject: h.subject, AuthTime: h.authTime, ACR: h.acr}, true
}

// signInNow is the host's login page at work: subject authenticates now.
func (h *testHost) signInNow(subject string) {
	h.subject, h.authTime = subject, time.Now()
}

// inproc drives a server in process, keeping cookies as a browser does,
// so that tests need no network and run inside a synctest bubble. Every
// request goes to the issuer's origin.
type inproc struct {
	t   *testing.T
	h   http.Handler
	jar *cookiejar.Jar
}

func newInproc(t *testing.T, h http.Handler) *inproc {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &inproc{t: t, h: h, jar: jar}
}

// do sends method to path (a path with its query, relative to the
// issuer), with form as the body when it is not nil.
func (c *inproc) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	c.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequestWithContext(c.t.Context(), method, testIssuer+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequestWithContext(c.t.Context(), method, testIssuer+path, nil)
	}
	for _, ck := range c.jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	c.jar.SetCookies(req.URL, rec.Result().Cookies())
	return rec
}

// authorize sends an authorization request with query.
func (c *inproc) authorize(query string) *httptest.ResponseRecorder {
	c.t.Helper()
	return c.do(http.MethodGet, "/oauth/authorize?"+query, nil)
}

// approve submits the consent page of rec, approving scopes.
func (c *inproc) approve(rec *httptest.ResponseRecorder, scopes ...string) *httptest.ResponseRecorder {
	c.t.Helper()
	require.Equal(c.t, http.StatusOK, rec.Code, rec.Body.String())
	form := consentForm(c.t, rec.Body.String())
	form.Set("decision", "approve")
	form["scope"] = scopes
	return c.do(http.MethodPost, "/oauth/consent", form)
}

// loginPage checks that rec sends the browser to the host's login page and
// returns that page's query parameters.
func loginPage(t *testing.T, rec *httptest.ResponseRecorder) url.Values {
	t.Helper()
	require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
	u, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/login", u.Path, rec.Header().Get("Location"))
	q := u.Query()
	require.True(t, strings.HasPrefix(q.Get("return_to"), "/oauth/authorize?request_id="), q.Get("return_to"))
	assert.Equal(t, q.Get("return_to")+"&cancel=1", q.Get("cancel_to"))
	return q
}

// withoutReturn is the login page's query without return_to and
// cancel_to: what the request asks of the sign-in.
func withoutReturn(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		if k != "return_to" && k != "cancel_to" {
			out[k] = v
		}
	}
	return out
}

// atClient checks that rec redirects to the client at redirect (with
// status) and returns the parameters of the answer: the query, or the
// fragment for the implicit grant.
func atClient(t *testing.T, rec *httptest.ResponseRecorder, status int, redirect string) url.Values {
	t.Helper()
	require.Equal(t, status, rec.Code, rec.Body.String())
	u, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	require.Equal(t, redirect, u.Scheme+"://"+u.Host+u.Path, rec.Header().Get("Location"))
	if u.Fragment != "" {
		q, err := url.ParseQuery(u.Fragment)
		require.NoError(t, err)
		return q
	}
	return u.Query()
}

// clientError is the error answer the client gets with state and iss.
func clientError(code, description string) url.Values {
	return url.Values{"error": {code}, "error_description": {description}, "state": {"xyz-state"}, "iss": {testIssuer}}
}

// assertGone checks that the pending request of a login page's return_to
// can no longer be resumed.
func assertGone(t *testing.T, c *inproc, returnTo string) {
	t.Helper()
	rec := c.do(http.MethodGet, returnTo, nil)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, rec.Body.String(), `<p id="error-description">authorization request expired or already used</p>`)
}
