package authserver_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

func TestGrantRefreshRotation(t *testing.T) {
	srv, st := newTestServer(t, nil)
	first := redeem(t, srv, st)
	second := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))

	assert.NotEqual(t, str(first, "refresh_token"), str(second, "refresh_token"), "a refresh token rotates on every use")
	assert.NotEqual(t, str(first, "access_token"), str(second, "access_token"))
	assert.EqualValues(t, 1800, second["expires_in"])
	assert.Equal(t, "basic_info phone", second["scope"])
	assertActive(t, srv, str(second, "access_token"), true)
	// The earlier access token lives on until its own expiry.
	assertActive(t, srv, str(first, "access_token"), true)

	third := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(second, "refresh_token")), basic(confidentialID, confidentialPass)))
	assertActive(t, srv, str(third, "access_token"), true)
}

// Presenting a rotated refresh token revokes the whole grant (RFC 9700
// §4.14.2): the successor and every access token die with it.
func TestGrantRefreshReuseRevokesGrant(t *testing.T) {
	srv, st := newTestServer(t, nil)
	first := redeem(t, srv, st)
	second := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))

	rec := postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass))
	body := assertOAuthError(t, rec, 400, "invalid_grant")
	assert.NotContains(t, rec.Body.String(), str(first, "refresh_token"))
	assert.NotEmpty(t, body["error_description"])

	assertActive(t, srv, str(first, "access_token"), false)
	assertActive(t, srv, str(second, "access_token"), false)
	rec = postForm(t, srv, "/oauth/token", refreshForm(str(second, "refresh_token")), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")
}

// A token retired two or more rotations ago is recognised too: after
// a→b→c, presenting a revokes the grant, although the grant keeps only the
// hashes of c and b (RFC 9700 §4.14.2).
func TestGrantRefreshReuseAfterRotations(t *testing.T) {
	for _, grace := range []time.Duration{0, 30 * time.Second} {
		t.Run("grace="+grace.String(), func(t *testing.T) {
			var log eventLog
			srv, st := newTestServer(t, func(c *authserver.Config) {
				c.RefreshRotation.GracePeriod = grace
				c.Hooks.Events = log.record
			})
			a := redeem(t, srv, st)
			b := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(a, "refresh_token")), basic(confidentialID, confidentialPass)))
			c := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(b, "refresh_token")), basic(confidentialID, confidentialPass)))

			log.reset()
			rec := postForm(t, srv, "/oauth/token", refreshForm(str(a, "refresh_token")), basic(confidentialID, confidentialPass))
			assertOAuthError(t, rec, 400, "invalid_grant")
			assert.Equal(t, []authserver.EventKind{authserver.EventReuseDetected, authserver.EventGrantRevoked}, log.kinds())
			for _, body := range []map[string]any{a, b, c} {
				assertActive(t, srv, str(body, "access_token"), false)
			}
			rec = postForm(t, srv, "/oauth/token", refreshForm(str(c, "refresh_token")), basic(confidentialID, confidentialPass))
			assertOAuthError(t, rec, 400, "invalid_grant")
		})
	}
}

// A retired token is recognised past its own expiry, for as long as its
// grant lives. The clock is testing/synctest's.
func TestGrantRefreshReuseAfterRetiredTokenExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, st := newTestServer(t, func(c *authserver.Config) {
			c.Lifetimes.AccessToken = time.Minute
			c.Lifetimes.RefreshToken = time.Hour
		})
		a := redeem(t, srv, st)
		time.Sleep(50 * time.Minute)
		b := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(a, "refresh_token")), basic(confidentialID, confidentialPass)))
		time.Sleep(20 * time.Minute) // a expired ten minutes ago; b lives 30 more
		c := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(b, "refresh_token")), basic(confidentialID, confidentialPass)))

		rec := postForm(t, srv, "/oauth/token", refreshForm(str(a, "refresh_token")), basic(confidentialID, confidentialPass))
		assertOAuthError(t, rec, 400, "invalid_grant")
		assertActive(t, srv, str(c, "access_token"), false)
		rec = postForm(t, srv, "/oauth/token", refreshForm(str(c, "refresh_token")), basic(confidentialID, confidentialPass))
		assertOAuthError(t, rec, 400, "invalid_grant")
	})
}

// A forged refresh token that names a live grant of the client is a reuse
// too: the grant keeps no list of retired tokens to tell the two apart, and
// ending the grant is the safe answer. Naming a grant of another client
// harms nothing.
func TestGrantRefreshForgedTokenOfGrant(t *testing.T) {
	srv, st := newTestServer(t, nil)
	mine := redeem(t, srv, st)
	forged := str(mine, "refresh_token")[:len("krt_")+22+1] + randomString()

	rec := postForm(t, srv, "/oauth/token", withPost(refreshForm(forged)), "")
	assertOAuthError(t, rec, 400, "invalid_grant")
	assertActive(t, srv, str(mine, "access_token"), true)

	rec = postForm(t, srv, "/oauth/token", refreshForm(forged), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")
	assertActive(t, srv, str(mine, "access_token"), false)
}

// With RefreshRotation.Key set, refresh tokens are authenticated: a
// made-up token that names a live grant (a code shows its ID) is refused
// and ends nothing, while a genuine retired token is still a reuse that
// ends the grant (RFC 9700 §4.14.2).
func TestGrantRefreshMadeUpTokenWithKeyEndsNothing(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) { c.RefreshRotation.Key = make([]byte, 32) })
	mine := redeem(t, srv, st)
	forged := str(mine, "refresh_token")[:len("krt_")+22+1] + randomString()
	rec := postForm(t, srv, "/oauth/token", refreshForm(forged), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")
	assertActive(t, srv, str(mine, "access_token"), true)

	next := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(mine, "refresh_token")), basic(confidentialID, confidentialPass)))
	rec = postForm(t, srv, "/oauth/token", refreshForm(str(mine, "refresh_token")), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")
	assertActive(t, srv, str(next, "access_token"), false)
}

// retryingStore applies a rotation and then answers as a store whose first
// reply was lost and whose retry found the rotation done: ErrReused with
// the grant as rotated.
type retryingStore struct{ store.Store }

func (r retryingStore) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	if _, err := r.Store.RotateRefreshToken(ctx, grantID, oldHash, next); err != nil || oldHash == "" {
		g, _ := r.Store.Grant(ctx, grantID)
		return g, err
	}
	g, err := r.Store.Grant(ctx, grantID)
	if err != nil {
		return store.Grant{}, err
	}
	return g, store.ErrReused
}

// A store that retried a rotation whose reply was lost reports ErrReused
// with the grant already holding this very rotation: that is this
// request's success, not a reuse (issue 14 review).
func TestGrantRefreshRetriedRotationIsNotReuse(t *testing.T) {
	_, mem := newTestServer(t, nil)
	srv, err := authserver.New(testConfig(), retryingStore{mem})
	require.NoError(t, err)
	first := redeem(t, srv, mem)
	next := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))
	assertActive(t, srv, str(next, "access_token"), true)
	again := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(next, "refresh_token")), basic(confidentialID, confidentialPass)))
	assertActive(t, srv, str(again, "access_token"), true)
}

// Refreshing keeps nothing per rotation in the store: after many refreshes
// through the token endpoint and the expiry of every access token, the
// store holds the grant alone, and the first refresh token is still
// recognised as a reuse (issue 14; store.TestMemoryBoundedAfterRotations
// and the PostgreSQL module prove the stores' side with 200,000). The
// clock is testing/synctest's.
func TestGrantRefreshKeepsStoreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, st := newTestServer(t, nil)
		first := redeem(t, srv, st)
		body := first
		for range 1000 {
			body = tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass)))
		}
		time.Sleep(30*time.Minute + time.Second)
		st.DeleteExpired()
		assert.Equal(t, 1, st.Len(), "the grant, and no record per rotation")

		rec := postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass))
		assertOAuthError(t, rec, 400, "invalid_grant")
		rec = postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass))
		assertOAuthError(t, rec, 400, "invalid_grant")
	})
}

// Reuse is detected even when the replay asks for a scope the grant lacks.
func TestGrantRefreshReuseWithBadScopeStillRevokes(t *testing.T) {
	srv, st := newTestServer(t, nil)
	first := redeem(t, srv, st, "basic_info")
	second := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))
	form := refreshForm(str(first, "refresh_token"))
	form.Set("scope", "keys_op")
	assertOAuthError(t, postForm(t, srv, "/oauth/token", form, basic(confidentialID, confidentialPass)), 400, "invalid_grant")
	assertActive(t, srv, str(second, "access_token"), false)
}

func TestGrantRefreshGracePeriod(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) { c.RefreshRotation.GracePeriod = 30 * time.Second })
	first := redeem(t, srv, st)
	old := str(first, "refresh_token")
	second := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(old), basic(confidentialID, confidentialPass)))

	// The response was lost; the client presents the old token again.
	retry := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(old), basic(confidentialID, confidentialPass)))
	assert.Equal(t, str(second, "refresh_token"), str(retry, "refresh_token"), "the same successor is handed out again")
	assert.NotEqual(t, str(second, "access_token"), str(retry, "access_token"), "with a new access token")
	assertActive(t, srv, str(retry, "access_token"), true)
	assertActive(t, srv, str(second, "access_token"), true)

	// Once the successor is used, the old token is a replay.
	third := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(second, "refresh_token")), basic(confidentialID, confidentialPass)))
	rec := postForm(t, srv, "/oauth/token", refreshForm(old), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")
	assertActive(t, srv, str(third, "access_token"), false)
	assertActive(t, srv, str(retry, "access_token"), false)
	rec = postForm(t, srv, "/oauth/token", refreshForm(str(third, "refresh_token")), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")
}

// After the grace period, the old token is a replay again. The clock is
// testing/synctest's.
func TestGrantRefreshGracePeriodEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, st := newTestServer(t, func(c *authserver.Config) { c.RefreshRotation.GracePeriod = 30 * time.Second })
		first := redeem(t, srv, st)
		old := str(first, "refresh_token")
		second := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(old), basic(confidentialID, confidentialPass)))

		time.Sleep(31 * time.Second)
		rec := postForm(t, srv, "/oauth/token", refreshForm(old), basic(confidentialID, confidentialPass))
		assertOAuthError(t, rec, 400, "invalid_grant")
		assertActive(t, srv, str(second, "access_token"), false)
	})
}

// Two servers that share a store and a RefreshKey derive the same successor.
func TestGrantRefreshGracePeriodSharedKey(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	srvA, st := newTestServer(t, func(c *authserver.Config) {
		c.RefreshRotation.GracePeriod = 30 * time.Second
		c.RefreshRotation.Key = key
	})
	cfgB := testConfig()
	cfgB.RefreshRotation = authserver.RefreshRotation{GracePeriod: 30 * time.Second, Key: key}
	srvB, err := authserver.New(cfgB, st)
	require.NoError(t, err)

	first := redeem(t, srvA, st)
	second := tokenOK(t, postForm(t, srvA, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))
	retry := tokenOK(t, postForm(t, srvB, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))
	assert.Equal(t, str(second, "refresh_token"), str(retry, "refresh_token"))
}

func TestGrantRefreshScope(t *testing.T) {
	srv, st := newTestServer(t, nil)
	first := redeem(t, srv, st, "basic_info", "phone")

	// Narrowing gives an access token with fewer scopes...
	form := refreshForm(str(first, "refresh_token"))
	form.Set("scope", "phone")
	narrow := tokenOK(t, postForm(t, srv, "/oauth/token", form, basic(confidentialID, confidentialPass)))
	assert.NotContains(t, narrow, "scope", "the granted scope equals the requested one")
	info, err := srv.VerifyAccessToken(t.Context(), str(narrow, "access_token"))
	require.NoError(t, err)
	assert.Equal(t, []string{"phone"}, info.Scopes)

	// ...while the refresh token keeps the grant's scopes (RFC 6749 §6).
	full := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(narrow, "refresh_token")), basic(confidentialID, confidentialPass)))
	assert.Equal(t, "basic_info phone", full["scope"])
	info, err = srv.VerifyAccessToken(t.Context(), str(full, "access_token"))
	require.NoError(t, err)
	assert.Equal(t, []string{"basic_info", "phone"}, info.Scopes)

	// Widening is invalid_scope and does not spend the token.
	for _, scope := range []string{"keys_op", "basic_info keys_op", "no_such_scope"} {
		form = refreshForm(str(full, "refresh_token"))
		form.Set("scope", scope)
		assertOAuthError(t, postForm(t, srv, "/oauth/token", form, basic(confidentialID, confidentialPass)), 400, "invalid_scope")
	}
	next := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(full, "refresh_token")), basic(confidentialID, confidentialPass)))
	assertActive(t, srv, str(next, "access_token"), true)
}

func TestGrantRefreshErrors(t *testing.T) {
	srv, st := newTestServer(t, nil)
	mine := redeem(t, srv, st)

	tests := []struct {
		name   string
		form   url.Values
		authz  string
		status int
		code   string
	}{
		{"another client's refresh token is invalid_grant", withPost(refreshForm(str(mine, "refresh_token"))), "", 400, "invalid_grant"},
		{"a missing refresh_token is invalid_request", url.Values{"grant_type": {"refresh_token"}}, basic(confidentialID, confidentialPass), 400, "invalid_request"},
		{"a malformed refresh token is invalid_grant", refreshForm("krt_" + randomString()), basic(confidentialID, confidentialPass), 400, "invalid_grant"},
		{"a refresh token of an unknown grant is invalid_grant", refreshForm(grantToken("krt_", newGrantID())), basic(confidentialID, confidentialPass), 400, "invalid_grant"},
		{"a code is not a refresh token", refreshForm("kac_" + str(mine, "refresh_token")[len("krt_"):]), basic(confidentialID, confidentialPass), 400, "invalid_grant"},
		{"an access token is not a refresh token", refreshForm(str(mine, "access_token")), basic(confidentialID, confidentialPass), 400, "invalid_grant"},
		{"an overlong token is invalid_grant", refreshForm("krt_" + string(make([]byte, 600))), basic(confidentialID, confidentialPass), 400, "invalid_grant"},
		{"a wrong secret is invalid_client", refreshForm(str(mine, "refresh_token")), basic(confidentialID, "wrong-wrong-wrong-wrong"), 401, "invalid_client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := postForm(t, srv, "/oauth/token", tc.form, tc.authz)
			assertOAuthError(t, rec, tc.status, tc.code)
			assert.NotContains(t, rec.Body.String(), str(mine, "refresh_token"))
		})
	}
	// None of that harmed the owner's token.
	next := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(mine, "refresh_token")), basic(confidentialID, confidentialPass)))
	assertActive(t, srv, str(mine, "access_token"), true)
	assertActive(t, srv, str(next, "access_token"), true)
}

// A refresh token expires after RefreshTokenTTL, renewed by every rotation.
func TestGrantRefreshExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, st := newTestServer(t, func(c *authserver.Config) {
			c.Lifetimes.AccessToken = time.Minute
			c.Lifetimes.RefreshToken = time.Hour
		})
		first := redeem(t, srv, st)
		time.Sleep(59 * time.Minute)
		second := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))
		assertActive(t, srv, str(first, "access_token"), false)
		time.Sleep(59 * time.Minute)
		assertActive(t, srv, str(second, "access_token"), false)
		third := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(second, "refresh_token")), basic(confidentialID, confidentialPass)))
		time.Sleep(time.Hour + time.Second)
		rec := postForm(t, srv, "/oauth/token", refreshForm(str(third, "refresh_token")), basic(confidentialID, confidentialPass))
		assertOAuthError(t, rec, 400, "invalid_grant")
	})
}

// Lifetimes.PerGrant sets the lifetimes per grant type.
func TestGrantRefreshLifetimes(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Compat.ExtendedTokenResponse = true
		c.Lifetimes.PerGrant = map[authserver.GrantType]authserver.Lifetime{
			authserver.GrantAuthorizationCode: {Access: 10 * time.Minute, Refresh: 8 * time.Hour},
			authserver.GrantRefreshToken:      {Access: 5 * time.Minute},
		}
	})
	first := redeem(t, srv, st)
	assert.EqualValues(t, 600, first["expires_in"])
	assert.Equal(t, "28800", first["refresh_token_expires_in"])
	second := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))
	assert.EqualValues(t, 300, second["expires_in"])
	assert.Equal(t, "86400", second["refresh_token_expires_in"])
}

// A refresh saves its access token before it rotates: when the rotation
// fails (a database that dies between the two), the presented refresh token
// is still the current one, the client's retry works, and the access token
// made for the failed response is deleted, not left behind (issue 14,
// durability).
func TestRefreshRotationFailureLeavesTokenCurrent(t *testing.T) {
	srv, fs := newFailingServer(t, "RotateRefreshToken")
	mem := fs.Store.(*store.Memory)
	it, err := srv.IssueToken(t.Context(), authserver.TokenRequest{ClientID: confidentialID, Subject: "u", Scopes: []string{"basic_info"}, Refresh: true})
	require.NoError(t, err)
	before := mem.Len()
	fs.broken.Store(true)
	rec := postForm(t, srv, "/oauth/token", refreshForm(it.RefreshToken), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, http.StatusServiceUnavailable, "temporarily_unavailable")
	assert.Equal(t, before, mem.Len(), "the access token of the failed response is deleted")
	fs.broken.Store(false)
	body := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(it.RefreshToken), basic(confidentialID, confidentialPass)))
	assertActive(t, srv, body["access_token"].(string), true)
}
