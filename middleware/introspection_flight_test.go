package middleware

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waiters reports how many callers wait on the request in flight for token.
func (v *IntrospectionVerifier) waiters(token string) (int, bool) {
	v.pendingMu.Lock()
	defer v.pendingMu.Unlock()
	call, ok := v.pending[keyOf(token)]
	if !ok {
		return 0, false
	}
	return call.waiters, true
}

// gatedIntrospection holds every request to the fake endpoint until release
// is closed, and says on arrived when one comes in.
type gatedIntrospection struct {
	*fakeIntrospection
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

// open lets the held requests through; it may be called more than once.
func (g *gatedIntrospection) open() { g.once.Do(func() { close(g.release) }) }

func (g *gatedIntrospection) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.arrived <- struct{}{}
	<-g.release
	g.fakeIntrospection.ServeHTTP(w, r)
}

func TestIntrospectionMissIsOneRequest(t *testing.T) {
	t.Parallel()
	v, f, _ := newIntrospectionFixture(t, IntrospectionConfig{})
	info, err := v.VerifyAccessToken(t.Context(), "user-token")
	require.NoError(t, err)
	assert.Equal(t, "alice", info.Subject)
	assert.Equal(t, 1, f.hitCount(), "a miss is exactly one request")
	_, err = v.VerifyAccessToken(t.Context(), "unknown-token")
	assert.ErrorIs(t, err, ErrInvalidToken)
	assert.Equal(t, 2, f.hitCount(), "an inactive miss is exactly one request")
	for range 3 {
		_, err = v.VerifyAccessToken(t.Context(), "user-token")
		require.NoError(t, err)
		_, err = v.VerifyAccessToken(t.Context(), "unknown-token")
		assert.ErrorIs(t, err, ErrInvalidToken)
	}
	assert.Equal(t, 2, f.hitCount(), "hits ask nothing")
}

func TestIntrospectionConcurrentMissesShareOneRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, token string
		wantErr     error
	}{
		{"active token", "user-token", nil},
		{"inactive token", "unknown-token", ErrInvalidToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, f, _ := newIntrospectionFixture(t, IntrospectionConfig{})
			g := &gatedIntrospection{fakeIntrospection: f, arrived: make(chan struct{}, 64), release: make(chan struct{})}
			gateFixture(t, v, g)

			const callers = 32
			errs := make(chan error, callers)
			subjects := make(chan string, callers)
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					info, err := v.VerifyAccessToken(context.Background(), tc.token)
					errs <- err
					subjects <- info.Subject
				})
			}
			<-g.arrived
			for {
				n, ok := v.waiters(tc.token)
				require.True(t, ok, "the request is in flight")
				if n == callers-1 {
					break
				}
				runtime.Gosched()
			}
			g.open()
			wg.Wait()
			close(errs)
			close(subjects)
			for err := range errs {
				if tc.wantErr == nil {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, tc.wantErr)
				}
			}
			if tc.wantErr == nil {
				for s := range subjects {
					assert.Equal(t, "alice", s)
				}
			}
			assert.Equal(t, 1, f.hitCount(), "32 concurrent misses, one request")
			_, ok := v.waiters(tc.token)
			assert.False(t, ok, "nothing left in flight")
		})
	}
}

func TestIntrospectionWaiterHonoursItsContext(t *testing.T) {
	t.Parallel()
	v, f, _ := newIntrospectionFixture(t, IntrospectionConfig{})
	g := &gatedIntrospection{fakeIntrospection: f, arrived: make(chan struct{}, 4), release: make(chan struct{})}
	gateFixture(t, v, g)

	leader := make(chan error, 1)
	go func() {
		_, err := v.VerifyAccessToken(context.Background(), "user-token")
		leader <- err
	}()
	<-g.arrived
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := v.VerifyAccessToken(ctx, "user-token")
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, errors.Is(err, ErrInvalidToken), "a cancelled wait is not an invalid token")
	g.open()
	assert.NoError(t, <-leader)
	assert.Equal(t, 1, f.hitCount())
}

// gateFixture points v at a new httptest server running g.
func gateFixture(t *testing.T, v *IntrospectionVerifier, g *gatedIntrospection) {
	t.Helper()
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	t.Cleanup(g.open) // runs first, so that Close never waits on a held request
	v.url = srv.URL + "/oauth/introspect"
	v.client = srv.Client()
}
