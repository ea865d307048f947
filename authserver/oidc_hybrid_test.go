package authserver_test

import (
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// The relying party of the implicit and hybrid tests: a confidential
// client that registered every response type.
const (
	hybridID     = "hybrid-rp"
	hybridSecret = "hybr1d-s3cret-hybr1d"
	hybridNonce  = "n-0S6_WzA2Mj"
)

// frontTypes are the response types of the implicit and hybrid flows.
var frontTypes = []authserver.ResponseType{authserver.ResponseIDToken, authserver.ResponseIDTokenToken,
	authserver.ResponseCodeIDToken, authserver.ResponseCodeToken, authserver.ResponseCodeIDTokenToken}

// newHybridServer returns an OpenID server offering every implicit and
// hybrid response type, with hybridID registered, and a browser on it in
// which user-alice is signed in.
func newHybridServer(t *testing.T) (*authserver.Server, *inproc) {
	t.Helper()
	srv, _, _ := newOIDCServer(t, func(c *authserver.Config) { c.OpenID.ResponseTypes = frontTypes })
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: hybridID, Secret: hybridSecret, Name: "Hybrid RP",
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "implicit", "refresh_token"),
		ResponseTypes: append([]authserver.ResponseType{authserver.ResponseCode}, frontTypes...), Scopes: rpScopes}))
	c := newInproc(t, srv)
	u, err := url.Parse(testIssuer)
	require.NoError(t, err)
	c.jar.SetCookies(u, []*http.Cookie{{Name: "user", Value: "user-alice", Path: "/"}})
	return srv, c
}

// hybridQuery is an authentication request of hybridID for rt, with the
// parameters of kv set (an empty value removes one).
func hybridQuery(rt authserver.ResponseType, kv ...string) string {
	q := url.Values{"response_type": {string(rt)}, "client_id": {hybridID}, "redirect_uri": {testRedirect},
		"scope": {"openid profile"}, "state": {"xyz-state"}, "nonce": {hybridNonce},
		"code_challenge": {testChallenge}, "code_challenge_method": {"S256"}}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q.Encode()
}

// frontAnswer returns the parameters of the answer rec gives the client
// in mode: the fields of the form_post page, or the fragment of a
// redirect with status, whose query must be empty: a token is never in a
// query (Multiple Response Types §2.1).
func frontAnswer(t *testing.T, rec *httptest.ResponseRecorder, mode string, status int) url.Values {
	t.Helper()
	if mode == "form_post" {
		fields, _ := formPost(t, rec, testRedirect)
		return fields
	}
	require.Equal(t, status, rec.Code, rec.Body.String())
	u, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, testRedirect, u.Scheme+"://"+u.Host+u.Path)
	assert.Empty(t, u.RawQuery, "nothing in the query")
	q, err := url.ParseQuery(u.Fragment)
	require.NoError(t, err)
	return q
}

// Every response type of the implicit and hybrid flows (Core §3.2, §3.3),
// in every response mode it may use, checked by go-oidc as a relying
// party: the ID Token's signature through the published JWKS, iss, aud,
// exp, the nonce, and at_hash by go-oidc's own check; c_hash is computed
// here. With response_type id_token the ID Token carries profile's claims
// (Core §5.4); a code exchanges for tokens whose ID Token has the same sub
// and nonce.
func TestImplicitAndHybridVerifiedByGoOIDC(t *testing.T) {
	for _, rt := range frontTypes {
		for _, mode := range []string{"", "fragment", "form_post"} {
			t.Run(string(rt)+" in mode "+mode, func(t *testing.T) {
				srv, c := newHybridServer(t)
				parts := map[string]bool{}
				for _, w := range []string{"code", "token", "id_token"} {
					parts[w] = slices.Contains(strings.Fields(string(rt)), w)
				}
				status := http.StatusSeeOther
				got := frontAnswer(t, c.approve(c.authorize(hybridQuery(rt, "response_mode", mode)), "openid", "profile"), mode, status)

				want := []string{"iss", "state"}
				if parts["code"] {
					want = append(want, "code")
				}
				if parts["token"] {
					want = append(want, "access_token", "expires_in", "token_type")
				}
				if parts["id_token"] {
					want = append(want, "id_token")
				}
				assert.ElementsMatch(t, want, keysOfValues(got))
				assert.Equal(t, "xyz-state", got.Get("state"))
				assert.Equal(t, testIssuer, got.Get("iss"))
				if parts["token"] {
					assert.Equal(t, "Bearer", got.Get("token_type"))
					assert.Equal(t, "1800", got.Get("expires_in"))
				}

				verifier, ctx := rpVerifier(t, srv, hybridID)
				if parts["id_token"] {
					idt, err := verifier.Verify(ctx, got.Get("id_token"))
					require.NoError(t, err)
					assert.Equal(t, "user-alice", idt.Subject)
					assert.Equal(t, hybridNonce, idt.Nonce)
					_, claims := idTokenParts(t, got.Get("id_token"))
					wantClaims := []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"}
					if parts["token"] {
						assert.NoError(t, idt.VerifyAccessToken(got.Get("access_token")), "at_hash (Core §3.2.2.10)")
						wantClaims = append(wantClaims, "at_hash")
					}
					if parts["code"] {
						assert.Equal(t, wantHash(sha256.New(), got.Get("code")), claims["c_hash"], "c_hash (Core §3.3.2.11)")
						wantClaims = append(wantClaims, "c_hash")
					}
					if rt == authserver.ResponseIDToken {
						// No access token for UserInfo: the scope's claims
						// are in the ID Token (Core §5.4).
						assert.Equal(t, "Alice Liddell", claims["name"])
						assert.Equal(t, "alice", claims["nickname"])
						wantClaims = append(wantClaims, "name", "nickname")
					}
					assert.ElementsMatch(t, wantClaims, keysOf(claims))
				}
				if parts["code"] {
					body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(got.Get("code"), testVerifier), basic(hybridID, hybridSecret)))
					idt, err := verifier.Verify(ctx, str(body, "id_token"))
					require.NoError(t, err)
					assert.Equal(t, "user-alice", idt.Subject, "the same sub as the front channel's")
					assert.Equal(t, hybridNonce, idt.Nonce)
					assert.NoError(t, idt.VerifyAccessToken(str(body, "access_token")))
					assert.NotEqual(t, got.Get("access_token"), str(body, "access_token"))
				}
				if parts["token"] {
					rec := serve(srv, bearerGet(t, "/oauth/userinfo", got.Get("access_token")))
					assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
					assert.Equal(t, "user-alice", decodeJSON(t, rec)["sub"])
				}
			})
		}
		t.Run(string(rt)+" in mode query", func(t *testing.T) {
			_, c := newHybridServer(t)
			assert.Equal(t, clientError("invalid_request", "unsupported response_mode for this response_type"),
				frontAnswer(t, c.authorize(hybridQuery(rt, "response_mode", "query")), "", http.StatusFound))
		})
	}
}

// keysOfValues returns the names of v.
func keysOfValues(v url.Values) []string {
	out := make([]string, 0, len(v))
	for k := range v {
		out = append(out, k)
	}
	return out
}

// The words of a response type are a set (Multiple Response Types §2):
// in any order they name the same type.
func TestResponseTypeWordOrder(t *testing.T) {
	_, c := newHybridServer(t)
	got := frontAnswer(t, c.approve(c.authorize(hybridQuery("id_token code")), "openid", "profile"), "", http.StatusSeeOther)
	assert.ElementsMatch(t, []string{"code", "id_token", "state", "iss"}, keysOfValues(got))
	got = frontAnswer(t, c.authorize(hybridQuery("token id_token", "prompt", "none")), "", http.StatusFound)
	assert.ElementsMatch(t, []string{"access_token", "token_type", "expires_in", "id_token", "state", "iss"}, keysOfValues(got),
		"the approval of openid is remembered for the https redirect URI")
}

// Bad input for the implicit and hybrid flows gets the exact error, at the
// redirect URI in the fragment (never the query) when the type is offered.
func TestImplicitAndHybridBadInput(t *testing.T) {
	t.Run("code token needs no nonce", func(t *testing.T) {
		// Its ID Token comes from the token endpoint only, as in the code
		// flow (Core §3.3.2.1).
		_, c := newHybridServer(t)
		got := frontAnswer(t, c.approve(c.authorize(hybridQuery(authserver.ResponseCodeToken, "nonce", "")), "openid", "profile"), "", http.StatusSeeOther)
		assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"), got)
		assert.NotEmpty(t, got.Get("access_token"), got)
	})
	for _, rt := range frontTypes {
		if rt == authserver.ResponseCodeToken {
			continue
		}
		t.Run("no nonce with "+string(rt), func(t *testing.T) {
			_, c := newHybridServer(t)
			assert.Equal(t, clientError("invalid_request", "nonce is required with response_type "+string(rt)),
				frontAnswer(t, c.authorize(hybridQuery(rt, "nonce", "")), "", http.StatusFound))
		})
		t.Run("no nonce with "+string(rt)+" by form_post", func(t *testing.T) {
			_, c := newHybridServer(t)
			fields, _ := formPost(t, c.authorize(hybridQuery(rt, "nonce", "", "response_mode", "form_post")), testRedirect)
			assert.Equal(t, clientError("invalid_request", "nonce is required with response_type "+string(rt)), fields)
		})
		t.Run(string(rt)+" without openid", func(t *testing.T) {
			_, c := newHybridServer(t)
			assert.Equal(t, clientError("invalid_request", "response_type "+string(rt)+" needs the openid scope (OpenID Connect Core, sections 3.2 and 3.3)"),
				frontAnswer(t, c.authorize(hybridQuery(rt, "scope", "profile")), "", http.StatusFound))
		})
		t.Run(string(rt)+" of a client that did not register it", func(t *testing.T) {
			_, c := newHybridServer(t)
			assert.Equal(t, clientError("unauthorized_client", "client may not use response_type "+string(rt)),
				frontAnswer(t, c.authorize(hybridQuery(rt, "client_id", rpID)), "", http.StatusFound))
		})
	}
	t.Run("a type the server does not offer is answered as an unknown one, in the query", func(t *testing.T) {
		srv, _, _ := newOIDCServer(t, func(c *authserver.Config) {
			c.OpenID.ResponseTypes = []authserver.ResponseType{authserver.ResponseIDToken}
		})
		c := newInproc(t, srv)
		q := url.Values{"response_type": {"code id_token"}, "client_id": {rpID}, "redirect_uri": {testRedirect}, "scope": {"openid"},
			"state": {"xyz-state"}, "nonce": {hybridNonce}}
		assert.Equal(t, clientError("unsupported_response_type", "unsupported response_type"),
			atClient(t, c.authorize(q.Encode()), http.StatusFound, testRedirect))
		assert.NotContains(t, c.authorize(q.Encode()).Header().Get("Location"), "#")
	})
	t.Run("a public client's hybrid request needs PKCE", func(t *testing.T) {
		srv, _, _ := newOIDCServer(t, func(c *authserver.Config) { c.OpenID.ResponseTypes = frontTypes })
		require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "spa", AuthMethod: authserver.AuthMethodNone,
			RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "implicit"),
			ResponseTypes: []authserver.ResponseType{authserver.ResponseCodeIDToken}, Scopes: []string{"openid"}}))
		c := newInproc(t, srv)
		q := hybridQuery(authserver.ResponseCodeIDToken, "client_id", "spa", "scope", "openid", "code_challenge", "", "code_challenge_method", "")
		assert.Equal(t, clientError("invalid_request", "code_challenge required (PKCE S256)"), frontAnswer(t, c.authorize(q), "", http.StatusFound))
	})
}

// The metadata lists exactly the response types and modes offered (RFC
// 8414 §2, Discovery §3), in both documents.
func TestImplicitAndHybridMetadata(t *testing.T) {
	srv, _ := newHybridServer(t)
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		m := getMetadata(t, srv, path)
		assert.Equal(t, []any{"code", "token", "id_token", "id_token token", "code id_token", "code token", "code id_token token"},
			m["response_types_supported"], path)
		assert.Equal(t, []any{"query", "fragment", "form_post"}, m["response_modes_supported"], path)
	}
	some, _, _ := newOIDCServer(t, func(c *authserver.Config) {
		c.OpenID.ResponseTypes = []authserver.ResponseType{"id_token code", authserver.ResponseIDToken}
	})
	assert.Equal(t, []any{"code", "token", "code id_token", "id_token"}, getMetadata(t, some, "/.well-known/openid-configuration")["response_types_supported"])
}

// New refuses OpenID.ResponseTypes that cannot work.
func TestNewRejectsOpenIDResponseTypes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*authserver.Config)
		err    string
	}{
		{"without the implicit grant", func(c *authserver.Config) {
			c.Grants = grants("authorization_code", "refresh_token")
			c.CheckPassword = nil
			c.OpenID.ResponseTypes = []authserver.ResponseType{authserver.ResponseCodeIDToken}
		}, "authserver: config: OpenID.ResponseTypes: need Grants to offer implicit: they return tokens from the authorization endpoint"},
		{"code, which is always offered", func(c *authserver.Config) { c.OpenID.ResponseTypes = []authserver.ResponseType{"code"} },
			`authserver: config: OpenID.ResponseTypes: "code" is not a response type of the implicit or hybrid flow (OpenID Connect Core §3.2, §3.3)`},
		{"an unknown type", func(c *authserver.Config) { c.OpenID.ResponseTypes = []authserver.ResponseType{"id_token id_token"} },
			`authserver: config: OpenID.ResponseTypes: "id_token id_token" is not a response type of the implicit or hybrid flow (OpenID Connect Core §3.2, §3.3)`},
		{"a type twice", func(c *authserver.Config) {
			c.OpenID.ResponseTypes = []authserver.ResponseType{"code id_token", "id_token code"}
		},
			`authserver: config: OpenID.ResponseTypes: "id_token code" is listed twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oidcConfig()
			tc.mutate(&cfg)
			_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			require.Len(t, fieldErrors(err), 1, "%v", err)
			assert.EqualError(t, fieldErrors(err)[0], tc.err)
		})
	}
	t.Run("OpenID Connect off", func(t *testing.T) {
		cfg := testConfig()
		cfg.OpenID.ResponseTypes = []authserver.ResponseType{authserver.ResponseIDToken}
		_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
		require.Len(t, fieldErrors(err), 1, "%v", err)
		assert.EqualError(t, fieldErrors(err)[0], "authserver: config: OpenID.ResponseTypes: is set but OpenID Connect is off: set OpenID.Enabled")
	})
}

// RegisterClient refuses a response type of the implicit or hybrid flow
// that the server does not offer, or without the grant types and the
// scope it needs; one that uses the implicit grant alone needs no token.
func TestRegisterClientOpenIDResponseTypes(t *testing.T) {
	srv, st, _ := newOIDCServer(t, func(c *authserver.Config) {
		c.OpenID.ResponseTypes = []authserver.ResponseType{authserver.ResponseIDToken, authserver.ResponseCodeIDToken}
	})
	base := authserver.Client{ID: "c", Secret: rpSecret, RedirectURIs: []string{testRedirect}, Scopes: []string{"openid"}}
	for _, tc := range []struct {
		name   string
		mutate func(*authserver.Client)
		err    string
	}{
		{"a type the server does not offer", func(c *authserver.Client) {
			c.GrantTypes, c.ResponseTypes = grants("authorization_code", "implicit"), []authserver.ResponseType{"code", "code id_token token"}
		}, `authserver: client "c": ResponseTypes: code id_token token is not offered by this server (Config.OpenID.ResponseTypes)`},
		{"without the implicit grant", func(c *authserver.Client) {
			c.GrantTypes, c.ResponseTypes = grants("authorization_code"), []authserver.ResponseType{"code", "code id_token"}
		}, `authserver: client "c": ResponseTypes: code id_token needs grant type implicit (OpenID Connect Registration §2)`},
		{"without the code grant", func(c *authserver.Client) {
			c.GrantTypes, c.ResponseTypes = grants("implicit"), []authserver.ResponseType{"code id_token"}
		}, `authserver: client "c": ResponseTypes: code id_token needs grant type authorization_code (OpenID Connect Registration §2)`},
		{"without openid", func(c *authserver.Client) {
			c.GrantTypes, c.ResponseTypes, c.Scopes = grants("implicit"), []authserver.ResponseType{"id_token"}, nil
		}, `authserver: client "c": ResponseTypes: id_token needs the openid scope in Scopes: its requests are OpenID Connect ones`},
		{"a web client on a loopback http URI", func(c *authserver.Client) {
			c.GrantTypes, c.ResponseTypes, c.RedirectURIs = grants("implicit"), []authserver.ResponseType{"id_token"}, []string{"http://127.0.0.1:8080/cb"}
		}, `authserver: client "c": RedirectURIs: "http://127.0.0.1:8080/cb": a web client that gets tokens from the authorization endpoint registers only https redirect URIs (OpenID Connect Registration §2)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mutate(&c)
			err := srv.RegisterClient(t.Context(), c)
			require.Len(t, fieldErrors(err), 1, "%v", err)
			assert.EqualError(t, fieldErrors(err)[0], tc.err)
		})
	}
	c := base
	c.GrantTypes, c.ResponseTypes = grants("implicit"), []authserver.ResponseType{"id_token"}
	require.NoError(t, srv.RegisterClient(t.Context(), c))
	c.ID, c.GrantTypes, c.ResponseTypes = "h", grants("authorization_code", "implicit"), []authserver.ResponseType{"id_token code"}
	require.NoError(t, srv.RegisterClient(t.Context(), c))
	rec, err := st.Client(t.Context(), "h")
	require.NoError(t, err)
	assert.Equal(t, []string{"code id_token"}, rec.ResponseTypes, "kept in kunci's word order")

	plain, _ := newTestServer(t, nil)
	c.ID, c.Scopes = "p", nil
	err = plain.RegisterClient(t.Context(), c)
	require.Len(t, fieldErrors(err), 1, "%v", err)
	assert.EqualError(t, fieldErrors(err)[0], `authserver: client "p": ResponseTypes: code id_token is not offered by this server (Config.OpenID.ResponseTypes)`)
}

// A response_type of many words is refused as unsupported, at the
// redirect URI in the query: it names no type kunci knows.
func TestResponseTypeOfManyWords(t *testing.T) {
	_, c := newHybridServer(t)
	for _, rt := range []string{"code id_token token code", strings.Repeat("id_token ", 5000) + "code", "code  id_token", "id_token id_token"} {
		assert.Equal(t, clientError("unsupported_response_type", "unsupported response_type"),
			atClient(t, c.authorize(hybridQuery(authserver.ResponseType(rt))), http.StatusFound, testRedirect), rt)
	}
}
