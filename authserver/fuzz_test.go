package authserver_test

import (
	"encoding/json"
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
