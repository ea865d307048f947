package authserver_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

const basicChallenge = `Basic realm="https://auth.example.com", charset="UTF-8"`

func TestClientAuthMethods(t *testing.T) {
	const oddID, oddSecret = "odd:id%with+chars", "se:cr%et+with spaces&=0123"
	raw := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name   string
		id     string // client used for registration ("" for the fixtures)
		form   url.Values
		authz  string
		status int
		err    string
	}{
		{name: "client_secret_basic", form: ccForm(), authz: basic(serviceID, servicePass), status: 200},
		{name: "the Basic scheme name is case-insensitive", form: ccForm(), authz: "bAsIc " + basic(serviceID, servicePass)[6:], status: 200},
		{name: "Basic with form-encoded ':' '%' '+' and spaces (RFC 6749 §2.3.1)", id: oddID, form: ccForm(), authz: basic(oddID, oddSecret), status: 200},
		{name: "Basic without the form-encoding of a '+' secret fails", id: oddID, form: ccForm(), authz: raw(url.QueryEscape(oddID) + ":" + oddSecret), status: 401, err: "invalid_client"},
		{name: "Basic with a matching client_id in the body", form: withValue(ccForm(), "client_id", serviceID), authz: basic(serviceID, servicePass), status: 200},
		{name: "Basic with another client_id in the body is invalid_request", form: withValue(ccForm(), "client_id", confidentialID), authz: basic(serviceID, servicePass), status: 400, err: "invalid_request"},
		{name: "Basic and client_secret at once is invalid_request", form: withValue(ccForm(), "client_secret", servicePass), authz: basic(serviceID, servicePass), status: 400, err: "invalid_request"},
		{name: "client_secret_post for a client registered with it", form: withPost(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"krt_x"}}), status: 400, err: "invalid_grant"},
		{name: "client_secret_post for a Basic client is invalid_client", form: withValue(withValue(ccForm(), "client_id", serviceID), "client_secret", servicePass), status: 401, err: "invalid_client"},
		{name: "no secret for a confidential client is invalid_client", form: withValue(ccForm(), "client_id", serviceID), status: 401, err: "invalid_client"},
		{name: "an empty client_secret counts as none", form: withValue(withValue(ccForm(), "client_id", serviceID), "client_secret", ""), status: 401, err: "invalid_client"},
		{name: "no credentials at all is invalid_client", form: ccForm(), status: 401, err: "invalid_client"},
		{name: "none for a public client", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"krt_x"}, "client_id": {publicID}}, status: 400, err: "invalid_grant"},
		{name: "Basic with an empty secret for a public client is none (x/oauth2's first try)", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"krt_x"}}, authz: basic(publicID, ""), status: 400, err: "invalid_grant"},
		{name: "Basic with an empty secret for a confidential client is invalid_client", form: ccForm(), authz: basic(serviceID, ""), status: 401, err: "invalid_client"},
		{name: "Basic and a client assertion at once is invalid_request", form: withValue(withValue(ccForm(), "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), "client_assertion", "eyJ.x.y"), authz: basic(serviceID, servicePass), status: 400, err: "invalid_request"},
		{name: "client_secret and a client assertion at once is invalid_request", form: withValue(withValue(withPost(ccForm()), "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), "client_assertion", "eyJ.x.y"), status: 400, err: "invalid_request"},
		{name: "malformed base64 is invalid_client", form: ccForm(), authz: "Basic !!!not-base64", status: 401, err: "invalid_client"},
		{name: "Basic without a colon is invalid_client", form: ccForm(), authz: raw(serviceID), status: 401, err: "invalid_client"},
		{name: "Basic with an empty client ID is invalid_client", form: ccForm(), authz: raw(":" + servicePass), status: 401, err: "invalid_client"},
		{name: "Basic with a bad percent escape is invalid_client", form: ccForm(), authz: raw(serviceID + ":%zz"), status: 401, err: "invalid_client"},
		{name: "a Bearer header is not client authentication", form: ccForm(), authz: "Bearer kat_abc", status: 401, err: "invalid_client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newTestServer(t, nil)
			if tc.id != "" {
				require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: tc.id, Secret: oddSecret, GrantTypes: grants("client_credentials")}))
			}
			rec := postForm(t, srv, "/oauth/token", tc.form, tc.authz)
			if tc.err == "" {
				tokenOK(t, rec)
				return
			}
			assertOAuthError(t, rec, tc.status, tc.err)
			for _, s := range []string{servicePass, oddSecret, url.QueryEscape(oddSecret), postPass} {
				assert.NotContains(t, rec.Body.String(), s)
			}
			if tc.status == http.StatusUnauthorized {
				assert.Equal(t, basicChallenge, rec.Header().Get("WWW-Authenticate"), "every 401 carries a Basic challenge with a realm (RFC 9110 §15.5.2, RFC 7617 §2)")
			} else {
				assert.Empty(t, rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

// Unknown client, wrong secret and wrong method are indistinguishable.
func TestClientAuthFailuresLookAlike(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	viaBasic := []string{
		basic("no-such-client", servicePass),
		basic(serviceID, "wrong-secret-0123456789"),
		basic(postID, postPass), // registered for client_secret_post
		basic(publicID, "anything-0123456789"),
	}
	var bodies []string
	for _, authz := range viaBasic {
		rec := postForm(t, srv, "/oauth/token", ccForm(), authz)
		assertOAuthError(t, rec, http.StatusUnauthorized, "invalid_client")
		assert.Equal(t, basicChallenge, rec.Header().Get("WWW-Authenticate"))
		bodies = append(bodies, rec.Body.String())
	}
	viaPost := []url.Values{
		withValue(withPost(ccForm()), "client_id", "no-such-client"),
		withValue(withPost(ccForm()), "client_secret", "wrong-secret-0123456789"),
		withValue(withValue(ccForm(), "client_id", serviceID), "client_secret", servicePass), // registered for Basic
		withValue(withValue(ccForm(), "client_id", publicID), "client_secret", "anything-0123456789"),
	}
	for _, form := range viaPost {
		rec := postForm(t, srv, "/oauth/token", form, "")
		assertOAuthError(t, rec, http.StatusUnauthorized, "invalid_client")
		assert.Equal(t, basicChallenge, rec.Header().Get("WWW-Authenticate"))
		bodies = append(bodies, rec.Body.String())
	}
	for _, b := range bodies[1:] {
		assert.Equal(t, bodies[0], b)
	}
}

// Failed client authentications are throttled per client ID and source
// address.
func TestClientAuthThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log eventLog
		srv, _ := newTestServer(t, func(c *authserver.Config) {
			c.Limits.FailureLimit = 3
			c.Limits.FailureWindow = time.Minute
			c.Hooks.Events = log.record
		})
		const addr, otherAddr = "198.51.100.7:5555", "[2001:db8::1]:443"
		for range 3 {
			rec := postFormFrom(t, srv, "/oauth/token", ccForm(), basic(serviceID, "wrong-secret-0123456789"), addr)
			assertOAuthError(t, rec, 401, "invalid_client")
		}
		log.reset()
		rec := postFormFrom(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass), addr)
		assertOAuthError(t, rec, http.StatusTooManyRequests, "temporarily_unavailable")
		assert.Equal(t, "60", rec.Header().Get("Retry-After"))
		assert.Equal(t, []authserver.EventKind{authserver.EventThrottled}, log.kinds())
		assert.Equal(t, serviceID, log.events[0].ClientID)

		// Another address, or another client from the same address, is fine.
		tokenOK(t, postFormFrom(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass), otherAddr))
		rec = postFormFrom(t, srv, "/oauth/token", refreshForm("krt_x"), basic(confidentialID, confidentialPass), addr)
		assertOAuthError(t, rec, 400, "invalid_grant")
		// The same client through client_secret_post is the same key.
		rec = postFormFrom(t, srv, "/oauth/token", withValue(withValue(ccForm(), "client_id", serviceID), "client_secret", servicePass), "", addr)
		assertOAuthError(t, rec, http.StatusTooManyRequests, "temporarily_unavailable")

		time.Sleep(20 * time.Second)
		rec = postFormFrom(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass), addr)
		assertOAuthError(t, rec, http.StatusTooManyRequests, "temporarily_unavailable")
		assert.Equal(t, "40", rec.Header().Get("Retry-After"))

		time.Sleep(41 * time.Second)
		tokenOK(t, postFormFrom(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass), addr))
	})
}

// Failures for unknown client IDs never count against a real client, not
// even from the same address: they are counted apart, and after ten times
// the limit only further unknown IDs from that address are throttled. The
// revocation and introspection endpoints share a client's count.
func TestClientAuthThrottleUnknownClientAndOtherEndpoints(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Limits.FailureLimit = 2 })
	for i := range 20 {
		rec := postForm(t, srv, "/oauth/token", ccForm(), basic(fmt.Sprintf("ghost-%d", i), "wrong-secret-0123456789"))
		assertOAuthError(t, rec, 401, "invalid_client")
	}
	assertThrottled(t, postForm(t, srv, "/oauth/token", ccForm(), basic("ghost-x", "wrong-secret-0123456789")), 60)
	tokenOK(t, postForm(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass)))
	// From another address unknown IDs are not throttled either.
	assertOAuthError(t, postFormFrom(t, srv, "/oauth/token", ccForm(), basic("ghost-y", "wrong-secret-0123456789"), "192.0.2.99:1234"), 401, "invalid_client")

	srv, _ = newTestServer(t, func(c *authserver.Config) { c.Limits.FailureLimit = 2 })
	for _, path := range []string{"/oauth/revoke", "/oauth/introspect"} {
		rec := postForm(t, srv, path, url.Values{"token": {"kat_x"}}, basic(serviceID, "wrong-secret-0123456789"))
		assertOAuthError(t, rec, 401, "invalid_client")
		assert.Equal(t, basicChallenge, rec.Header().Get("WWW-Authenticate"), path)
	}
	assertThrottled(t, postForm(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass)), 60)
}

// RFC 6749 §2.3: a client uses one authentication method per request; two
// Authorization headers are two attempts, and which one counts must not be
// up to the server.
func TestClientAuthTwoAuthorizationHeadersIsInvalidRequest(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	for _, path := range []string{"/oauth/token", "/oauth/revoke", "/oauth/introspect"} {
		form := ccForm()
		if path != "/oauth/token" {
			form = url.Values{"token": {"kat_x"}}
		}
		req := postReq(t, path, form.Encode(), "application/x-www-form-urlencoded", basic(serviceID, servicePass))
		req.Header.Add("Authorization", basic(confidentialID, confidentialPass))
		assertOAuthError(t, serve(srv, req), http.StatusBadRequest, "invalid_request")
	}
}

func TestClientAuthThrottleDisabled(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Limits.FailureLimit = -1 })
	for range 40 {
		rec := postForm(t, srv, "/oauth/token", ccForm(), basic(serviceID, "wrong-secret-0123456789"))
		assertOAuthError(t, rec, 401, "invalid_client")
	}
	tokenOK(t, postForm(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass)))
}

// Config.ClientIP replaces RemoteAddr as the throttling address.
func TestClientAuthThrottleClientIP(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Limits.FailureLimit = 1
		c.Limits.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Test-Client") }
	})
	send := func(client, authz string) int {
		req := postReq(t, "/oauth/token", ccForm().Encode(), "application/x-www-form-urlencoded", authz)
		req.Header.Set("X-Test-Client", client)
		return serve(srv, req).Code
	}
	assert.Equal(t, 401, send("a", basic(serviceID, "wrong-secret-0123456789")))
	assert.Equal(t, 429, send("a", basic(serviceID, servicePass)))
	assert.Equal(t, 200, send("b", basic(serviceID, servicePass)))
}
