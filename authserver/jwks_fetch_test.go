package authserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// ctxTransport honours the request context as net/http.Transport does,
// then answers from h.
type ctxTransport struct{ h http.RoundTripper }

func (c ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	return c.h.RoundTrip(r)
}

// A request that names the client with a junk assertion and goes away
// while the jwks_uri is fetched cannot cancel the fetch: it completes, is
// cached, and the real client gets in at once.
func TestJWKSFetchOutlivesCancelledRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		key := newClientKey(t, "k1")
		host := &jwksHost{doc: jwks(t, key)}
		srv := newURIKeyServer(t, "https://app.example.com/jwks", &http.Client{Transport: ctxTransport{host}}, nil)

		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		forged := newClientKey(t, "k1").sign(t, assertionClaims(keyClientID))
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/oauth/token", strings.NewReader(withAssertion(ccForm(), forged).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		assertOAuthError(t, serve(srv, req), http.StatusUnauthorized, "invalid_client")

		tokenOK(t, ccWith(t, srv, key))
		assert.Equal(t, int64(1), host.fetches.Load())
	})
}

// Concurrent assertions of one client share one fetch of its jwks_uri.
func TestJWKSFetchSharedByConcurrentCallers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		key := newClientKey(t, "k1")
		host := &jwksHost{doc: jwks(t, key)}
		release := make(chan struct{})
		slow := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			<-release
			return host.RoundTrip(r)
		})
		srv := newURIKeyServer(t, "https://app.example.com/jwks", &http.Client{Transport: slow}, nil)

		const callers = 8
		codes := make(chan int, callers)
		for range callers {
			assertion := key.sign(t, assertionClaims(keyClientID))
			go func() {
				req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/oauth/token", strings.NewReader(withAssertion(ccForm(), assertion).Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				codes <- serve(srv, req).Code
			}()
		}
		synctest.Wait()
		close(release)
		for range callers {
			assert.Equal(t, http.StatusOK, <-codes)
		}
		assert.Equal(t, int64(1), host.fetches.Load())
	})
}

// Keys that cannot be fetched answer invalid_client but are not counted as
// failed authentications of the client, so they never throttle it; a bad
// signature still is.
func TestJWKSUnavailableIsNotAFailedAuthentication(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		key := newClientKey(t, "k1")
		host := &jwksHost{doc: jwks(t, key), status: http.StatusInternalServerError}
		cfg := testConfig()
		cfg.Limits.FailureLimit = 1
		cfg.ClientAssertions.HTTPClient = &http.Client{Transport: host}
		srv := newKeyClientServer(t, cfg, authserver.Client{JWKSURI: "https://app.example.com/jwks"})
		for range 3 {
			assertOAuthError(t, ccWith(t, srv, key), http.StatusUnauthorized, "invalid_client")
		}
		host.mu.Lock()
		host.status = 0
		host.mu.Unlock()
		time.Sleep(time.Minute)
		tokenOK(t, ccWith(t, srv, key))
		assert.Equal(t, int64(2), host.fetches.Load())

		assertOAuthError(t, ccWith(t, srv, newClientKey(t, "k1")), http.StatusUnauthorized, "invalid_client")
		assertOAuthError(t, ccWith(t, srv, key), http.StatusTooManyRequests, "temporarily_unavailable")
	})
}

// A jwks_uri that answers with a redirect is not followed (the default
// HTTPClient follows none): the client cannot authenticate.
func TestJWKSRedirectNotFollowed(t *testing.T) {
	key := newClientKey(t, "k1")
	var followed atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/other", http.StatusFound) })
	mux.HandleFunc("/other", func(w http.ResponseWriter, _ *http.Request) {
		followed.Add(1)
		w.Write(jwks(t, key))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	srv := newURIKeyServer(t, ts.URL+"/jwks", nil, nil)
	assertOAuthError(t, ccWith(t, srv, key), http.StatusUnauthorized, "invalid_client")
	assert.Equal(t, int64(0), followed.Load())
}

// newKeyClientServer is a server made with cfg and the private_key_jwt
// client keyClientID, registered with extra's keys.
func newKeyClientServer(t *testing.T, cfg authserver.Config, extra authserver.Client) *authserver.Server {
	t.Helper()
	srv, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
	require.NoError(t, err)
	extra.ID, extra.AuthMethod = keyClientID, authserver.AuthMethodPrivateKeyJWT
	extra.GrantTypes, extra.Scopes = grants("client_credentials"), []string{"basic_info"}
	require.NoError(t, srv.RegisterClient(t.Context(), extra))
	return srv
}

// RFC 7517 §5: members of a JWK Set the server cannot use (an unknown kty,
// an X25519 encryption key) are ignored, inline and fetched; private and
// symmetric keys still refuse the set, and an inline set is bounded by
// MaxJWKSBytes as a fetched one is.
func TestJWKSUnusableMembersIgnored(t *testing.T) {
	key := newClientKey(t, "k1")
	good := strings.TrimSuffix(string(jwks(t, key)), "]}")
	x25519 := `,{"kty":"OKP","crv":"X25519","use":"enc","kid":"enc1","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}]}`
	unknown := `,{"kty":"AKP","alg":"ML-DSA-44","kid":"pq","pub":"AAAA"}]}`
	for name, set := range map[string]string{"an X25519 key": good + x25519, "an unknown kty": good + unknown} {
		t.Run("inline, beside "+name, func(t *testing.T) {
			srv := newKeyClientServer(t, testConfig(), authserver.Client{JWKS: []byte(set)})
			tokenOK(t, ccWith(t, srv, key))
		})
		t.Run("fetched, beside "+name, func(t *testing.T) {
			host := &jwksHost{doc: []byte(set)}
			srv := newURIKeyServer(t, "https://app.example.com/jwks", &http.Client{Transport: host}, nil)
			tokenOK(t, ccWith(t, srv, key))
		})
	}
	srv, err := authserver.New(testConfig(), store.NewMemoryWithCleanup(0))
	require.NoError(t, err)
	for _, tc := range []struct{ name, set, want string }{
		{"only unusable keys", `{"keys":[` + strings.TrimPrefix(unknown, ","), "JWKS: JWK Set has no keys the server can use"},
		{"a symmetric key", good + `,{"kty":"oct","k":"c2VjcmV0"}]}`, "JWKS: JWK Set holds a private or symmetric key"},
		{"an unparsable private key", good + `,{"kty":"AKP","pub":"AAAA","priv":"AAAA","d":"AAAA"}]}`, "JWKS: JWK Set holds a private or symmetric key"},
		{"over MaxJWKSBytes", good + `],"pad":"` + strings.Repeat("p", 64<<10) + `"}`, "JWKS: is larger than ClientAssertions.MaxJWKSBytes (65536)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := srv.RegisterClient(t.Context(), authserver.Client{ID: keyClientID, AuthMethod: authserver.AuthMethodPrivateKeyJWT, JWKS: []byte(tc.set), GrantTypes: grants("client_credentials")})
			var fe *authserver.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.want, fe.Field+": "+fe.Problem)
		})
	}
}
