package authserver_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// authTimeClient is a public relying party that registered
// require_auth_time (OpenID Connect Registration §2).
const authTimeClient = "needs-auth-time"

// newAuthTimeServer returns an OpenID server whose session is host's, with
// authTimeClient registered, and a browser on it.
func newAuthTimeServer(t *testing.T, host *testHost) (*authserver.Server, *inproc) {
	t.Helper()
	srv, _, _ := newOIDCServer(t, func(c *authserver.Config) { c.Browser.Session = host.session })
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: authTimeClient, AuthMethod: authserver.AuthMethodNone,
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"), Scopes: []string{"openid"},
		RequireAuthTime: true}))
	return srv, newInproc(t, srv)
}

// authTimeQuery is an authentication request of authTimeClient with the
// parameters of kv added.
func authTimeQuery(kv ...string) string {
	return with(append([]string{"client_id", authTimeClient, "scope", "openid", "nonce", "n-1"}, kv...)...)
}

// A client with require_auth_time gets auth_time in every ID Token, and a
// Session without AuthTime cannot answer its requests: the user is sent
// to sign in again, and when the host still says nothing, the client gets
// login_required, as for max_age (Core §3.1.2.1).
func TestRequireAuthTime(t *testing.T) {
	t.Run("the ID Token carries auth_time", func(t *testing.T) {
		host := &testHost{subject: "user-alice", authTime: testAuthTime}
		srv, c := newAuthTimeServer(t, host)
		got := atClient(t, c.approve(c.authorize(authTimeQuery()), "openid"), http.StatusSeeOther, testRedirect)
		form := codeForm(got.Get("code"), testVerifier)
		form.Set("client_id", authTimeClient)
		body := tokenOK(t, postForm(t, srv, "/oauth/token", form, ""))
		_, claims := idTokenParts(t, str(body, "id_token"))
		assert.Equal(t, float64(testAuthTime.Unix()), claims["auth_time"])
	})

	t.Run("a session without AuthTime sends the user to sign in again", func(t *testing.T) {
		host := &testHost{subject: "user-alice"}
		_, c := newAuthTimeServer(t, host)
		q := loginPage(t, c.authorize(authTimeQuery()))
		assert.Equal(t, url.Values{"prompt": {"login"}}, withoutReturn(q))
		assert.Equal(t, clientError("login_required", "the session does not say when the user signed in, which the client's require_auth_time needs"),
			atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect))
		assertGone(t, c, q.Get("return_to"))
	})

	t.Run("a session without AuthTime and prompt=none", func(t *testing.T) {
		host := &testHost{subject: "user-alice"}
		_, c := newAuthTimeServer(t, host)
		assert.Equal(t, clientError("login_required", "the session does not say when the user signed in, which the client's require_auth_time needs"),
			atClient(t, c.authorize(authTimeQuery("prompt", "none")), http.StatusFound, testRedirect))
	})

	t.Run("the session loses its AuthTime on the consent page", func(t *testing.T) {
		host := &testHost{subject: "user-alice", authTime: time.Now()}
		_, c := newAuthTimeServer(t, host)
		page := c.authorize(authTimeQuery())
		host.authTime = time.Time{}
		assert.Equal(t, clientError("login_required", "the session does not say when the user signed in, which the client's require_auth_time needs"),
			atClient(t, c.approve(page, "openid"), http.StatusSeeOther, testRedirect))
	})

	t.Run("the same session answers a client without it", func(t *testing.T) {
		host := &testHost{subject: "user-alice"}
		_, c := newAuthTimeServer(t, host)
		got := atClient(t, c.approve(c.authorize(with("client_id", publicID)), "basic_info", "phone"), http.StatusSeeOther, testRedirect)
		assert.NotEmpty(t, got.Get("code"))
	})
}

// RequireAuthTime is kept in the client's record, and needs OpenID
// Connect.
func TestRegisterClientRequireAuthTime(t *testing.T) {
	srv, st, _ := newOIDCServer(t, nil)
	c := authserver.Client{ID: "c", Secret: rpSecret, RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"),
		Scopes: []string{"openid"}, RequireAuthTime: true}
	require.NoError(t, srv.RegisterClient(t.Context(), c))
	rec, err := st.Client(t.Context(), "c")
	require.NoError(t, err)
	assert.True(t, rec.RequireAuthTime)

	plain, _ := newTestServer(t, nil)
	c.Scopes = nil
	err = plain.RegisterClient(t.Context(), c)
	require.Len(t, fieldErrors(err), 1, "%v", err)
	assert.EqualError(t, fieldErrors(err)[0], `authserver: client "c": RequireAuthTime: is set but OpenID Connect is off (Config.OpenID.Enabled)`)
}
