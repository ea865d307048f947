package authserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzTokenEndpoint sends arbitrary bodies, content types and Authorization
// headers to the token endpoint and its refresh aliases. The answer is never
// a panic or a 5xx, and always a JSON object with either an error or an
// access token.
func FuzzTokenEndpoint(f *testing.F) {
	const form = "application/x-www-form-urlencoded"
	seeds := []struct {
		path  uint8
		body  string
		ct    string
		authz string
	}{
		{0, "grant_type=client_credentials&scope=basic_info", form, basic(serviceID, servicePass)},
		{0, "grant_type=client_credentials", form, basic(serviceID, "wrong")},
		{0, "grant_type=client_credentials&client_id=service&client_secret=" + url.QueryEscape(servicePass), form, ""},
		{0, "grant_type=authorization_code&code=kac_abc&redirect_uri=" + url.QueryEscape(testRedirect) + "&code_verifier=" + testVerifier, form, basic(confidentialID, confidentialPass)},
		{0, "client_id=post-app&client_secret=x&code=kac_x&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback", form, ""},
		{0, "grant_type=password&username=alice&password=wonderland", form, basic(confidentialID, confidentialPass)},
		{0, "grant_type=password&username=alice&password=wrong", form + "; charset=UTF-8", basic(confidentialID, confidentialPass)},
		{1, "grant_type=refresh_token&refresh_token=krt_abc", form, basic(confidentialID, confidentialPass)},
		{2, "grant_type=refresh_token&refresh_token=krt_abc&client_id=public-app", form, ""},
		{0, "grant_type=client_credentials&grant_type=client_credentials", form, basic(serviceID, servicePass)},
		{0, "grant_type=client_credentials&scope=%ff", form, basic(serviceID, servicePass)},
		{0, "grant_type=client_credentials;x=1", form, basic(serviceID, servicePass)},
		{0, `{"grant_type":"client_credentials"}`, "application/json", basic(serviceID, servicePass)},
		{0, "grant_type=client_credentials", "", "Basic !!!"},
		{0, "grant_type=client_credentials&client_secret=x", form, basic(serviceID, servicePass)},
		{1, "grant_type=client_credentials", form, basic(serviceID, servicePass)},
		{0, "grant_type=implicit", form, "Bearer kat_x"},
		{0, "grant_type=authorization_code&code=kac_AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&redirect_uri=" + url.QueryEscape(testRedirect), form, basic(confidentialID, confidentialPass)},
		{1, "grant_type=refresh_token&refresh_token=krt_AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", form, basic(confidentialID, confidentialPass)},
		{0, "", form, ""},
	}
	for _, s := range seeds {
		f.Add(s.path, s.body, s.ct, s.authz)
	}
	paths := []string{"/oauth/token", "/oauth/refresh", "/oauth/refreshAccessToken"}
	f.Fuzz(func(t *testing.T, path uint8, body, contentType, authz string) {
		if strings.ContainsAny(contentType+authz, "\r\n\x00") {
			return // not representable in an HTTP header
		}
		srv, _ := newTestServer(t, nil)
		req := postReq(t, paths[int(path)%len(paths)], body, contentType, "")
		if contentType == "" {
			req.Header.Del("Content-Type")
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		rec := serve(srv, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body.String())
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("status %d, body %q is not a JSON object: %v", rec.Code, rec.Body.String(), err)
		}
		_, isErr := m["error"].(string)
		_, isToken := m["access_token"].(string)
		if isErr == isToken {
			t.Fatalf("status %d: want exactly one of error and access_token: %s", rec.Code, rec.Body.String())
		}
		if isToken && rec.Code != 200 || isErr && rec.Code == 200 {
			t.Fatalf("status %d does not match body %s", rec.Code, rec.Body.String())
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("missing Cache-Control: no-store")
		}
	})
}

// FuzzAuthorizeEndpoint sends arbitrary queries to the authorization
// endpoint of an OpenID Provider, with or without a signed-in user, so that
// prompt, max_age, the hints, id_token_hint, the claims request and
// response_mode meet every input. The answer is never a panic or a 5xx:
// it is an error page, a redirect to the login page or to a registered
// redirect URI, or a page (consent or form_post), never cached.
func FuzzAuthorizeEndpoint(f *testing.F) {
	for _, extra := range []url.Values{
		nil,
		{"prompt": {"none"}},
		{"prompt": {"login consent select_account"}, "max_age": {"0"}},
		{"max_age": {"99999999999999999999"}, "login_hint": {"alice@example.com"}, "acr_values": {"urn:a urn:b"}, "ui_locales": {"id"}},
		{"claims": {`{"userinfo":{"email":{"essential":true}},"id_token":{"acr":{"essential":true,"values":["urn:a"]},"sub":{"value":"user-alice"}}}`}},
		{"claims": {`{"id_token":{"auth_time":{"essential":true}}}`}, "response_mode": {"form_post"}},
		{"id_token_hint": {"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}, "prompt": {"none"}},
		{"response_mode": {"fragment"}},
		{"scope": {"basic_info"}, "prompt": {"bogus"}},
	} {
		f.Add(rpQuery(extra), false)
		f.Add(rpQuery(extra), true)
	}
	f.Fuzz(func(t *testing.T, query string, signedIn bool) {
		srv, _, _ := newOIDCServer(t, nil)
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize", nil)
		req.URL.RawQuery = query
		if signedIn {
			req.AddCookie(&http.Cookie{Name: "user", Value: "user-alice"})
		}
		rec := serve(srv, req)
		h := rec.Header()
		if h.Get("Cache-Control") != "no-store" {
			t.Fatalf("status %d without Cache-Control: no-store", rec.Code)
		}
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusTooManyRequests:
			if h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("Location") != "" {
				t.Fatalf("status %d is not a page: %v", rec.Code, h)
			}
		case http.StatusFound:
			loc := h.Get("Location")
			if !strings.HasPrefix(loc, "/login?") && !strings.HasPrefix(loc, testRedirect+"?") && !strings.HasPrefix(loc, testRedirect+"#") {
				t.Fatalf("redirect to %q", loc)
			}
		default:
			t.Fatalf("status %d for query %q: %s", rec.Code, query, rec.Body.String())
		}
	})
}
