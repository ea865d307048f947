package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// jwksHost serves a client's JWK Set and counts the fetches.
type jwksHost struct {
	mu      sync.Mutex
	doc     []byte
	status  int
	fetches atomic.Int64
}

func (h *jwksHost) set(doc []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.doc = doc
}

func (h *jwksHost) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h.fetches.Add(1)
	h.mu.Lock()
	doc, status := h.doc, h.status
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/jwk-set+json")
	if status != 0 {
		w.WriteHeader(status)
	}
	w.Write(doc)
}

// RoundTrip answers in process, so that a test runs in a synctest bubble.
func (h *jwksHost) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// newURIKeyServer is a server with one private_key_jwt client whose keys
// are at uri, fetched with hc.
func newURIKeyServer(t *testing.T, uri string, hc *http.Client, mutate func(*authserver.ClientAssertions)) *authserver.Server {
	t.Helper()
	cfg := testConfig()
	cfg.ClientAssertions.HTTPClient = hc
	if mutate != nil {
		mutate(&cfg.ClientAssertions)
	}
	srv, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
	require.NoError(t, err)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: keyClientID, AuthMethod: authserver.AuthMethodPrivateKeyJWT,
		JWKSURI: uri, GrantTypes: grants("client_credentials"), Scopes: []string{"basic_info"}}))
	return srv
}

// ccWith is a client_credentials request authenticated by key's assertion.
func ccWith(t *testing.T, srv http.Handler, key clientKey) *httptest.ResponseRecorder {
	t.Helper()
	return postForm(t, srv, "/oauth/token", withAssertion(ccForm(), key.sign(t, assertionClaims(keyClientID))), "")
}

// A jwks_uri is fetched once and cached; assertions with made-up kids do
// not make the server fetch it again within RefetchInterval.
func TestClientAssertionJWKSURIFetchesAreBounded(t *testing.T) {
	key := newClientKey(t, "k1")
	host := &jwksHost{doc: jwks(t, key)}
	ts := httptest.NewTLSServer(host)
	t.Cleanup(ts.Close)
	srv := newURIKeyServer(t, ts.URL+"/jwks", ts.Client(), func(c *authserver.ClientAssertions) { c.RefetchInterval = time.Hour })

	tokenOK(t, ccWith(t, srv, key))
	tokenOK(t, ccWith(t, srv, key))
	assert.Equal(t, int64(1), host.fetches.Load())
	for i := range 20 {
		made := newClientKey(t, "made-up-"+strings.Repeat("x", i))
		assertOAuthError(t, ccWith(t, srv, made), http.StatusUnauthorized, "invalid_client")
	}
	assert.Equal(t, int64(1), host.fetches.Load(), "unknown kids within RefetchInterval fetch nothing")
}

// RFC 7517 §5 documents larger than MaxJWKSBytes, and failed fetches, let
// no client in; a failing jwks_uri is not fetched again within
// RefetchInterval.
func TestClientAssertionJWKSURIRefused(t *testing.T) {
	key := newClientKey(t, "k1")
	for _, tc := range []struct {
		name   string
		doc    []byte
		status int
	}{
		{"a document over 64 KiB", append(jwks(t, key)[:len(jwks(t, key))-1], []byte(`,"pad":"`+strings.Repeat("p", 64<<10)+`"}`)...), 0},
		{"a 404", jwks(t, key), http.StatusNotFound},
		{"not a JWK Set", []byte(`<html>`), 0},
		{"a JWK Set with a private key", []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"k1"}]}`), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := &jwksHost{doc: tc.doc, status: tc.status}
			ts := httptest.NewTLSServer(host)
			t.Cleanup(ts.Close)
			srv := newURIKeyServer(t, ts.URL+"/jwks", ts.Client(), func(c *authserver.ClientAssertions) { c.RefetchInterval = time.Hour })
			assertOAuthError(t, ccWith(t, srv, key), http.StatusUnauthorized, "invalid_client")
			assertOAuthError(t, ccWith(t, srv, key), http.StatusUnauthorized, "invalid_client")
			assert.Equal(t, int64(1), host.fetches.Load())
		})
	}
	t.Run("a document of exactly MaxJWKSBytes", func(t *testing.T) {
		doc := jwks(t, key)
		host := &jwksHost{doc: doc}
		ts := httptest.NewTLSServer(host)
		t.Cleanup(ts.Close)
		srv := newURIKeyServer(t, ts.URL+"/jwks", ts.Client(), func(c *authserver.ClientAssertions) { c.MaxJWKSBytes = int64(len(doc)) })
		tokenOK(t, ccWith(t, srv, key))
	})
}

// A client that rotates its keys is followed: an unknown kid has the
// jwks_uri fetched again, at most once per RefetchInterval, and the cached
// document is fetched again after CacheTTL.
func TestClientAssertionJWKSURIRefetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, k2 := newClientKey(t, "k1"), newClientKey(t, "k2")
		host := &jwksHost{doc: jwks(t, k1)}
		srv := newURIKeyServer(t, "https://app.example.com/jwks", &http.Client{Transport: host}, nil)

		tokenOK(t, ccWith(t, srv, k1))
		require.Equal(t, int64(1), host.fetches.Load())

		host.set(jwks(t, k2))
		assertOAuthError(t, ccWith(t, srv, k2), http.StatusUnauthorized, "invalid_client")
		assert.Equal(t, int64(1), host.fetches.Load(), "fetched less than RefetchInterval ago")

		time.Sleep(time.Minute)
		tokenOK(t, ccWith(t, srv, k2))
		assert.Equal(t, int64(2), host.fetches.Load(), "an unknown kid fetches again")
		for range 10 {
			assertOAuthError(t, ccWith(t, srv, newClientKey(t, "k3")), http.StatusUnauthorized, "invalid_client")
		}
		assert.Equal(t, int64(2), host.fetches.Load())
		time.Sleep(time.Minute)
		for range 10 {
			assertOAuthError(t, ccWith(t, srv, newClientKey(t, "k3")), http.StatusUnauthorized, "invalid_client")
		}
		assert.Equal(t, int64(3), host.fetches.Load(), "once per RefetchInterval")

		time.Sleep(time.Hour)
		tokenOK(t, ccWith(t, srv, k2))
		assert.Equal(t, int64(4), host.fetches.Load(), "fetched again after CacheTTL")
	})
}

// A jwks_uri that does not answer is given up after FetchTimeout.
func TestClientAssertionJWKSURITimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		key := newClientKey(t, "k1")
		hang := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		})
		srv := newURIKeyServer(t, "https://app.example.com/jwks", &http.Client{Transport: hang}, func(c *authserver.ClientAssertions) { c.FetchTimeout = 2 * time.Second })
		start := time.Now()
		assertOAuthError(t, ccWith(t, srv, key), http.StatusUnauthorized, "invalid_client")
		assert.Equal(t, 2*time.Second, time.Since(start))
	})
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
