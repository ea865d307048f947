package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// userInfo returns the UserInfo response for an access token.
func userInfo(t *testing.T, srv http.Handler, token string) map[string]any {
	t.Helper()
	rec := serve(srv, bearerGet(t, "/oauth/userinfo", token))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return decodeJSON(t, rec)
}

// idTokenClaims returns the claims of the ID Token of a token response.
func idTokenClaims(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	_, claims := idTokenParts(t, str(body, "id_token"))
	return claims
}

// A claims request (Core §5.5) may ask for claims beyond the requested
// scopes, among those the client's registered scopes release: the consent
// page lists them, the approval releases them where asked (UserInfo or the
// ID Token), and a remembered approval of the scopes does not cover them.
// A claim no registered scope releases is ignored.
func TestClaimsBeyondScopes(t *testing.T) {
	host := &testHost{}
	srv, c, claims := newHostOIDCServer(t, host)
	host.signInNow("user-alice")
	request := url.Values{"claims": {`{"userinfo":{"name":null,"email":{"essential":true},"tenant":null},"id_token":{"nickname":null}}`}}

	page := c.authorize(rpQuery(request))
	require.Equal(t, http.StatusOK, page.Code, page.Body.String())
	assert.Contains(t, page.Body.String(), "<ul id=\"claims\">\n<li><code>email</code> (needed)</li>\n<li><code>name</code></li>\n<li><code>nickname</code></li>\n</ul>")
	assert.NotContains(t, page.Body.String(), "tenant")
	got := atClient(t, c.approve(page, "openid"), http.StatusSeeOther, testRedirect)
	body := exchange(t, srv, got.Get("code"))
	assert.Equal(t, []string{"user-alice", "nickname"}, claims.last(), "the host is asked for the ID Token's claims alone")
	id := idTokenClaims(t, body)
	assert.Equal(t, "alice", id["nickname"])
	assert.NotContains(t, id, "name")
	assert.NotContains(t, id, "email")
	assert.Equal(t, map[string]any{"sub": "user-alice", "name": "Alice Liddell", "email": "alice@example.com"},
		userInfo(t, srv, str(body, "access_token")))
	assert.Equal(t, []string{"user-alice", "email", "name"}, claims.last())

	// The approval of openid is remembered, but the claims beyond it are
	// asked for every time.
	got = atClient(t, c.authorize(rpQuery(url.Values{"prompt": {"none"}})), http.StatusFound, testRedirect)
	assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)
	request.Set("prompt", "none")
	assert.Equal(t, clientError("consent_required", "the user has not approved this request"),
		atClient(t, c.authorize(rpQuery(request)), http.StatusFound, testRedirect))
	request.Del("prompt")
	assert.Equal(t, http.StatusOK, c.authorize(rpQuery(request)).Code)
}

// Claims the requested scopes release may be asked for in the ID Token;
// value and values release a claim only when the host's value is one of
// them; a scope the user did not approve releases nothing, even when the
// claims request names its claims; refreshed ID Tokens carry the claims
// too.
func TestClaimsUnderScopes(t *testing.T) {
	host := &testHost{}
	srv, c, _ := newHostOIDCServer(t, host)
	host.signInNow("user-alice")
	request := url.Values{
		"scope": {"openid email phone offline_access"},
		"claims": {`{"id_token":{"email":null,"email_verified":{"value":true},"phone_number":{"values":["+62 812 0000 0002"]}},` +
			`"userinfo":{"email":{"value":"mallory@example.com"}}}`},
	}
	page := c.authorize(rpQuery(request))
	require.Equal(t, http.StatusOK, page.Code)
	assert.NotContains(t, page.Body.String(), `<ul id="claims">`, "every claim is under a requested scope")
	got := atClient(t, c.approve(page, "openid", "email", "phone", "offline_access"), http.StatusSeeOther, testRedirect)
	body := exchange(t, srv, got.Get("code"))
	id := idTokenClaims(t, body)
	assert.Equal(t, "alice@example.com", id["email"])
	assert.Equal(t, true, id["email_verified"])
	assert.NotContains(t, id, "phone_number", "not one of the values asked for")
	assert.Equal(t, map[string]any{"sub": "user-alice", "email_verified": true, "phone_number": "+62 812 0000 0001"},
		userInfo(t, srv, str(body, "access_token")), "email is not the value asked for in the userinfo member")

	refreshed := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(rpID, rpSecret)))
	assert.Equal(t, "alice@example.com", idTokenClaims(t, refreshed)["email"])

	page = c.authorize(rpQuery(request))
	got = atClient(t, c.approve(page, "openid"), http.StatusSeeOther, testRedirect)
	id = idTokenClaims(t, exchange(t, srv, got.Get("code")))
	assert.NotContains(t, id, "email", "the user did not approve the email scope")
	assert.NotContains(t, id, "email_verified")
}

// auth_time asked for as essential needs a session that says when the
// user authenticated, and the ID Token then carries it; acr asked for as
// essential with values needs a session with one of them (Core §5.5.1.1),
// else the login page is asked for it and, back without it,
// login_required. Non-essential acr values are hints for the login page.
func TestClaimsEssentialAuthTimeAndACR(t *testing.T) {
	host := &testHost{acr: "urn:kunci:loa:2"}
	srv, c, _ := newHostOIDCServer(t, host)
	host.signInNow("user-alice")
	host.authTime = time.Time{}
	authTime := url.Values{"claims": {`{"id_token":{"auth_time":{"essential":true}}}`}}
	q := loginPage(t, c.authorize(rpQuery(authTime)))
	assert.Equal(t, url.Values{"prompt": {"login"}}, withoutReturn(q))
	assert.Equal(t, clientError("login_required", "the session does not say when the user signed in, which the claims request needs"),
		atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect))
	host.signInNow("user-alice")
	id := idTokenClaims(t, rpSignIn(t, srv, c, authTime, "openid"))
	assert.EqualValues(t, host.authTime.Unix(), id["auth_time"])

	loa3 := url.Values{"claims": {`{"id_token":{"acr":{"essential":true,"values":["urn:kunci:loa:3","urn:kunci:loa:4"]}}}`}}
	q = loginPage(t, c.authorize(rpQuery(loa3)))
	assert.Equal(t, url.Values{"prompt": {"login"}, "acr_values": {"urn:kunci:loa:3 urn:kunci:loa:4"}}, withoutReturn(q))
	assert.Equal(t, clientError("login_required", "the sign-in does not meet the acr the claims request needs"),
		atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect))
	loa3.Set("prompt", "none")
	assert.Equal(t, clientError("login_required", "the sign-in does not meet the acr the claims request needs"),
		atClient(t, c.authorize(rpQuery(loa3)), http.StatusFound, testRedirect))
	loa3.Del("prompt")
	q = loginPage(t, c.authorize(rpQuery(loa3)))
	host.acr = "urn:kunci:loa:3" // the host stepped the sign-in up
	got := atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect)
	assert.Equal(t, "urn:kunci:loa:3", idTokenClaims(t, exchange(t, srv, got.Get("code")))["acr"])

	host.subject = ""
	q = loginPage(t, c.authorize(rpQuery(url.Values{"acr_values": {"urn:kunci:loa:1"}, "claims": {`{"id_token":{"acr":{"values":["urn:kunci:loa:2"]}}}`}})))
	assert.Equal(t, url.Values{"acr_values": {"urn:kunci:loa:1 urn:kunci:loa:2"}}, withoutReturn(q))
	host.signInNow("user-alice")
	host.acr = "urn:kunci:loa:0"
	got = atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect)
	assert.NotEmpty(t, got.Get("code"), "voluntary acr values are hints: %v", got)
}

// A claims request naming a sub value is never answered for another user
// (Core §5.5.1).
func TestClaimsSubValue(t *testing.T) {
	host := &testHost{}
	srv, c, _ := newHostOIDCServer(t, host)
	host.signInNow("user-bob")
	alice := url.Values{"claims": {`{"userinfo":{"sub":{"value":"user-alice"}}}`}}
	q := loginPage(t, c.authorize(rpQuery(alice)))
	assert.Equal(t, url.Values{"prompt": {"login"}, "subject": {"user-alice"}}, withoutReturn(q))
	assert.Equal(t, clientError("login_required", "another user is signed in than the request names"),
		atClient(t, c.do(http.MethodGet, q.Get("return_to"), nil), http.StatusFound, testRedirect))
	alice.Set("prompt", "none")
	assert.Equal(t, clientError("login_required", "another user is signed in than the request names"),
		atClient(t, c.authorize(rpQuery(alice)), http.StatusFound, testRedirect))

	alice.Del("prompt")
	host.signInNow("user-alice")
	body := rpSignIn(t, srv, c, alice, "openid")
	assert.Equal(t, "user-alice", idTokenClaims(t, body)["sub"])
}

// A malformed claims request is invalid_request at the redirect URI; on a
// plain OAuth 2.0 request the parameter means nothing.
func TestClaimsMalformed(t *testing.T) {
	host := &testHost{}
	_, c, _ := newHostOIDCServer(t, host)
	const malformed = "malformed claims parameter"
	for _, tc := range []struct{ name, claims, description string }{
		{"not JSON", "{email}", malformed},
		{"an array", `[{"userinfo":{}}]`, malformed},
		{"null", "null", malformed},
		{"trailing data", `{} {}`, malformed},
		{"a member that is not an object", `{"userinfo":5}`, malformed},
		{"a claim asked for with a number", `{"id_token":{"email":5}}`, malformed},
		{"essential that is not a boolean", `{"id_token":{"email":{"essential":"yes"}}}`, malformed},
		{"values that are not a list", `{"id_token":{"email":{"values":"a"}}}`, malformed},
		{"sub with a number", `{"id_token":{"sub":{"value":5}}}`, "claims parameter: sub may be asked for with one string value"},
		{"sub with values", `{"id_token":{"sub":{"values":["user-alice"]}}}`, "claims parameter: sub may be asked for with one string value"},
		{"acr with a number", `{"id_token":{"acr":{"values":["urn:a",2]}}}`, "claims parameter: acr values must be strings"},
		{"two sub values", `{"id_token":{"sub":{"value":"a"}},"userinfo":{"sub":{"value":"b"}}}`, "claims parameter names two different sub values"},
		{"too long", `{"userinfo":{"name":null}}` + strings.Repeat(" ", 4097-26), "claims parameter is too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, clientError("invalid_request", tc.description),
				atClient(t, c.authorize(rpQuery(url.Values{"claims": {tc.claims}})), http.StatusFound, testRedirect))
		})
	}
	t.Run("the longest one, with a null value", func(t *testing.T) {
		claims := `{"userinfo":{"name":{"value":null}}}`
		rec := c.authorize(rpQuery(url.Values{"claims": {claims + strings.Repeat(" ", 4096-len(claims))}}))
		loginPage(t, rec)
	})
	t.Run("a plain OAuth request ignores it", func(t *testing.T) {
		loginPage(t, c.authorize(rpQuery(url.Values{"claims": {"{email}"}, "scope": {"basic_info"}})))
	})
}

// A request with max_age gets an ID Token with auth_time, which go-oidc's
// relying party checks against it.
func TestMaxAgeIDTokenCarriesAuthTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		host := &testHost{}
		srv, c, _ := newHostOIDCServer(t, host)
		host.signInNow("user-alice")
		signedIn := host.authTime
		time.Sleep(30 * time.Second)
		body := rpSignIn(t, srv, c, url.Values{"max_age": {"60"}}, "openid")
		id := idTokenClaims(t, body)
		assert.EqualValues(t, signedIn.Unix(), id["auth_time"])
		verifier, ctx := rpVerifier(t, srv, rpID)
		tok, err := verifier.Verify(ctx, str(body, "id_token"))
		require.NoError(t, err)
		var c2 struct {
			AuthTime int64 `json:"auth_time"`
		}
		require.NoError(t, tok.Claims(&c2))
		assert.LessOrEqual(t, time.Now().Unix()-c2.AuthTime, int64(60))
	})
}
