package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

var postEndpoints = []string{"/oauth/token", "/oauth/refresh", "/oauth/refreshAccessToken", "/oauth/revoke", "/oauth/introspect"}

func TestFormMethodNotAllowed(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	for _, path := range postEndpoints {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodOptions} {
			t.Run(method+" "+path, func(t *testing.T) {
				req := httptest.NewRequestWithContext(t.Context(), method, path+"?grant_type=client_credentials", nil)
				req.Header.Set("Authorization", basic(serviceID, servicePass))
				rec := serve(srv, req)
				assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
				assert.Equal(t, "POST", rec.Header().Get("Allow"))
				assertNoStore(t, rec)
				if method != http.MethodHead {
					assert.JSONEq(t, `{"error":"invalid_request","error_description":"method must be POST"}`, rec.Body.String())
				}
			})
		}
	}
}

func TestFormBadInput(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	cc := "grant_type=client_credentials"
	tests := []struct {
		name        string
		body        string
		contentType string
	}{
		{"no content type", cc, ""},
		{"a JSON body", `{"grant_type":"client_credentials"}`, "application/json"},
		{"text/plain", cc, "text/plain"},
		{"multipart", cc, "multipart/form-data; boundary=x"},
		{"a malformed content type", cc, "application/x-www-form-urlencoded; charset"},
		{"a body over 64 KiB", cc + "&pad=" + strings.Repeat("a", 64<<10), form},
		{"a repeated parameter", cc + "&grant_type=client_credentials", form},
		{"a repeated scope", cc + "&scope=basic_info&scope=keys_op", form},
		{"a repeated empty parameter", cc + "&client_id=&client_id=", form},
		{"invalid UTF-8 in a value", cc + "&scope=%ff%fe", form},
		{"invalid UTF-8 in a key", cc + "&%c3%28=1", form},
		{"a raw invalid UTF-8 byte", cc + "&state=\xff", form},
		{"a bad percent escape", cc + "&scope=%zz", form},
		{"a semicolon separator", cc + ";scope=basic_info", form},
		{"an empty body", "", form},
		{"grant_type only in the query string", "", form},
	}
	srv, _ := newTestServer(t, nil)
	secrets := []string{servicePass, basic(serviceID, servicePass)}
	for _, path := range postEndpoints {
		for _, tc := range tests {
			t.Run(path+" "+tc.name, func(t *testing.T) {
				target := path
				if tc.name == "grant_type only in the query string" {
					target += "?grant_type=client_credentials&token=kat_x"
				}
				rec := serve(srv, postReq(t, target, tc.body, tc.contentType, basic(serviceID, servicePass)))
				assertOAuthError(t, rec, http.StatusBadRequest, "invalid_request")
				for _, s := range secrets {
					assert.NotContains(t, rec.Body.String(), s)
				}
			})
		}
	}
}

func TestFormAcceptedVariants(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	for _, ct := range []string{
		"application/x-www-form-urlencoded",
		"application/x-www-form-urlencoded; charset=UTF-8",
		"Application/X-WWW-Form-URLEncoded;charset=utf-8",
	} {
		rec := serve(srv, postReq(t, "/oauth/token", "grant_type=client_credentials&scope=basic_info+keys_op", ct, basic(serviceID, servicePass)))
		body := tokenOK(t, rec)
		assert.NotContains(t, body, "scope", ct)
	}
	// Exactly 64 KiB is still accepted.
	cc := "grant_type=client_credentials&pad="
	rec := serve(srv, postReq(t, "/oauth/token", cc+strings.Repeat("a", 64<<10-len(cc)), "application/x-www-form-urlencoded", basic(serviceID, servicePass)))
	tokenOK(t, rec)
}

func TestFormUnknownPathIs404(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	for _, path := range []string{"/", "/oauth", "/oauth/", "/oauth/token/", "/oauth/tokens", "/OAUTH/TOKEN"} {
		rec := serve(srv, postReq(t, path, "grant_type=client_credentials", "application/x-www-form-urlencoded", basic(serviceID, servicePass)))
		assert.Equal(t, http.StatusNotFound, rec.Code, path)
	}
}
