package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzEndSessionEndpoint sends arbitrary queries and bodies to the
// end_session endpoint, signed in or not. The answer is never a panic or a
// 5xx, and a redirect only ever goes to rp's registered
// post_logout_redirect_uri. Nobody is ever signed out: without a valid
// id_token_hint or confirmation token, which the fuzzer cannot forge, the
// user is only asked.
func FuzzEndSessionEndpoint(f *testing.F) {
	seeds := []struct {
		post     bool
		query    string
		signedIn bool
	}{
		{false, "client_id=rp&post_logout_redirect_uri=" + url.QueryEscape(rpLogoutURI) + "&state=x", true},
		{false, "client_id=rp&post_logout_redirect_uri=https%3A%2F%2Fevil.example.com%2F", false},
		{false, "id_token_hint=eyJhbGciOiJub25lIn0.e30.&client_id=rp", true},
		{true, "csrf_token=AAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&client_id=rp", true},
		{true, "csrf_token=x&state=%00", false},
		{false, "ui_locales=id%20en&state=a&state=b", true},
	}
	for _, s := range seeds {
		f.Add(s.post, s.query, s.signedIn)
	}
	f.Fuzz(func(t *testing.T, post bool, query string, signedIn bool) {
		srv, _, ends := newLogoutServer(t, nil)
		var req *http.Request
		if post {
			req = httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/oauth/logout", strings.NewReader(query))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/logout", nil)
			req.URL.RawQuery = query
		}
		if signedIn {
			req.AddCookie(&http.Cookie{Name: "user", Value: "user-alice"})
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q", rec.Code, query)
		}
		if loc := rec.Header().Get("Location"); loc != "" && loc != rpLogoutURI && !strings.HasPrefix(loc, rpLogoutURI+"?state=") {
			t.Fatalf("redirected to %q for %q", loc, query)
		}
		if n := len(ends.subjects()); n != 0 {
			t.Fatalf("signed out %d times, last for %q", n, query)
		}
	})
}
