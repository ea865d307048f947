package durability

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

const (
	// Chains is how many refresh chains Run issues, one grant each.
	Chains = 200
	// Workers is how many clients rotate at once. Without a grace period
	// at most this many chains may be refused after an unknown outcome,
	// one per request in flight at the kill.
	Workers = 4
	// ClientID is the client that Run registers and rotates as.
	ClientID = "durable-app"
	// clientSecret is ClientID's secret.
	clientSecret = "durable-app-secret-0123456789"
)

// Config is the authorization server of the durability tests: the
// refresh_token grant (RFC 6749 §6), rotated as rotation says, logging to
// logger (nil discards). A zero rotation is strict rotation, no grace
// period, so that presenting a rotated refresh token again revokes its
// grant (RFC 9700 §4.14.2).
func Config(logger *slog.Logger, rotation authserver.RefreshRotation) authserver.Config {
	return authserver.Config{
		Issuer:          "https://auth.example.com",
		Scopes:          []authserver.Scope{{Name: "basic_info", Description: "Read your name and email"}},
		Grants:          []authserver.GrantType{authserver.GrantRefreshToken},
		RefreshRotation: rotation,
		Logger:          logger,
	}
}

// GraceRotation is the rotation the store READMEs recommend for
// production: a grace period of a minute, far longer than a test runs, so
// that a client that lost a response gets the same successor again, and a
// random key of 32 bytes that every instance on the store is given.
func GraceRotation() authserver.RefreshRotation {
	key := make([]byte, 32)
	rand.Read(key) // crypto/rand.Read never returns an error
	return authserver.RefreshRotation{GracePeriod: time.Minute, Key: key}
}

// TokenHash is the hash under which the server stores a token: SHA-256,
// base64url without padding (RFC 4648 §5).
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ChainState is what the client of one refresh chain knows at the end of
// the load: its grant, and the refresh token of its last 200 response (or
// the first one, issued through the Go API) after Rotations such
// responses.
type ChainState struct {
	ID        int // the chain's number, for messages
	GrantID   string
	Token     string
	Rotations int
}

// Case is what differs between the durability tests: the store, the
// process killed, and what the store holds of a chain afterwards.
type Case struct {
	// Server registers the client and issues the first tokens through the
	// Go API, as a host's own handler would.
	Server *authserver.Server
	// URL is the base URL of the app serving the token endpoint.
	URL string
	// Grace says the apps rotate with a grace period, and a key shared by
	// all of them.
	Grace bool
	// Grant reads a grant on the test's own connections, with its refresh
	// state; while the database is down it fails.
	Grant func(ctx context.Context, grantID string) (store.Grant, error)
	// Kill kills a process with SIGKILL and returns once it is gone and
	// nothing it sent can still change a grant; Restart starts it again and
	// returns the app's base URL.
	Kill    func() error
	Restart func() (string, error)
	// AppSurvives says the app process lives throughout, so every request
	// must get an HTTP response.
	AppSurvives bool
	// CheckHeld checks that the store holds the chain's token after
	// exactly the rotations its client saw, a rotation whose response was
	// lost having been either not stored or answered again, and that the
	// grant is not revoked.
	CheckHeld func(t *testing.T, c ChainState)
	// CheckRevoked checks what the store holds of a chain that was
	// refused after a request with an unknown outcome: a grant revoked by
	// the reuse, after one rotation more than its client saw.
	CheckRevoked func(t *testing.T, c ChainState)
}

// Run issues the chains, runs the load across c.Kill and c.Restart, and
// checks every chain: a refused one is refused again and passes
// c.CheckRevoked, any other passes c.CheckHeld and its last token works
// exactly once. With c.Grace no chain may be refused.
func Run(t *testing.T, c Case) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, c.Server.RegisterClient(ctx, authserver.Client{
		ID: ClientID, Secret: clientSecret,
		GrantTypes: []authserver.GrantType{authserver.GrantRefreshToken}, Scopes: []string{"basic_info"},
	}))
	chains := make([]*chain, Chains)
	for i := range chains {
		it, err := c.Server.IssueToken(ctx, authserver.TokenRequest{
			ClientID: ClientID, Subject: fmt.Sprintf("user-%d", i), Scopes: []string{"basic_info"}, Refresh: true,
		})
		require.NoError(t, err)
		chains[i] = &chain{id: i, grantID: it.GrantID, token: it.RefreshToken}
	}

	killAt := int64(100 + mathrand.IntN(400))
	l := newLoad(c.URL, c.Grant, chains, killAt, c.Grace)
	t.Cleanup(l.halt)
	l.start(ctx)
	l.await(t, l.killPoint, "the kill point")
	require.NoError(t, c.Kill())
	l.phase.Store(phaseDown)
	l.await(t, l.down.done(), "every worker to fail while it is down")
	base, err := c.Restart()
	require.NoError(t, err)
	l.url.Store(&base)
	l.phase.Store(phaseUp)
	l.await(t, l.up.done(), "every worker to rotate after the restart")
	l.halt()

	assert.Empty(t, l.violations, "during the load")
	if c.AppSurvives {
		assert.Zero(t, l.outcomes[transportError], "requests the living app did not answer")
	}

	strict, refused := 0, 0
	for _, ch := range chains {
		switch {
		case ch.broken:
			// Already a violation.
		case ch.refused:
			refused++
			o := l.rotate(ctx, ch.token)
			assert.Equal(t, kindRefused, o.kind, "chain %d: a refused token again: %s", ch.id, o.detail)
			// The grant as read before the refused retry: one rotation
			// more than its client saw, the last one retiring the
			// client's token.
			if assert.True(t, ch.inspected, "chain %d: refused without its grant read first", ch.id) {
				assert.Equal(t, ch.rotations+1, ch.seen.RefreshCount,
					"chain %d: refused after a request with an unknown outcome, which must have rotated it", ch.id)
				assert.Equal(t, TokenHash(ch.token), ch.seen.PreviousRefreshHash,
					"chain %d: the rotation retired the client's token", ch.id)
			}
			c.CheckRevoked(t, ch.state())
		default:
			strict++
			c.CheckHeld(t, ch.state())
			checkLastToken(t, l, ch, c.Grace)
		}
	}
	t.Logf("killed after %d rotations; %d in all; responses %v; %d retries answered after a rotation whose response was lost; %d chains checked strictly, %d refused after an unknown outcome",
		killAt, l.answered.Load(), l.outcomes, l.recovered.Load(), strict, refused)
	if c.Grace {
		assert.Zero(t, refused, "chains refused with a grace period")
	} else {
		assert.LessOrEqual(t, refused, Workers, "chains refused after an unknown outcome")
	}
	assert.Equal(t, Chains, strict+refused, "chains checked")
}

// checkLastToken checks that ch's token, the refresh token of its last 200
// response, works exactly once. With strict rotation it is answered once
// and then refused. With a grace period, presenting it again within the
// period is answered with the identical successor, the rotation being
// idempotent; the successor then works, after which the token is a reuse,
// refused, and revokes the grant.
func checkLastToken(t *testing.T, l *load, ch *chain, grace bool) {
	t.Helper()
	ctx := t.Context()
	first := l.rotate(ctx, ch.token)
	if !assert.Equal(t, kindAnswered, first.kind, "chain %d after %d rotations: its last refresh token: %s",
		ch.id, ch.rotations, first.detail) {
		return
	}
	if !grace {
		second := l.rotate(ctx, ch.token)
		assert.Equal(t, kindRefused, second.kind, "chain %d: its last refresh token used twice: %s", ch.id, second.detail)
		return
	}
	again := l.rotate(ctx, ch.token)
	if !assert.Equal(t, kindAnswered, again.kind, "chain %d: its last refresh token again within the grace period: %s", ch.id, again.detail) ||
		!assert.Equal(t, first.token, again.token, "chain %d: its last refresh token again: the successor", ch.id) {
		return
	}
	next := l.rotate(ctx, first.token)
	if !assert.Equal(t, kindAnswered, next.kind, "chain %d: the successor: %s", ch.id, next.detail) {
		return
	}
	old := l.rotate(ctx, ch.token)
	assert.Equal(t, kindRefused, old.kind, "chain %d: its last refresh token once its successor was used: %s", ch.id, old.detail)
	revoked := l.rotate(ctx, next.token)
	assert.Equal(t, kindRefused, revoked.kind, "chain %d: the successor's successor after the reuse: %s", ch.id, revoked.detail)
}
