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
