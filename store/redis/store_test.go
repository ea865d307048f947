package redis

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
)

// clock is a settable clock for a Store under test, so that expiry is
// tested by moving time instead of waiting. Its times lie years ahead, so
// Redis itself expires none of the keys a test makes.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }

// epoch is the fixed time tests start their clocks at.
var epoch = time.Date(2040, 1, 2, 3, 4, 5, 6000, time.UTC)

// newClockStore returns a Store on the single node whose scripts use c.
func newClockStore(t *testing.T, c *clock) *Store {
	t.Helper()
	s := newStoreOn(t, singleClient(t), Options{})
	s.now = c.now
	return s
}

func testGrant(id, refresh string) store.Grant {
	g := store.Grant{
		ID: id, ClientID: "client", Subject: "alice", Scopes: []string{"openid", "profile"},
		Audience: []string{"https://api.example"}, AuthTime: epoch.Add(-time.Minute),
		ACR: "1", AMR: []string{"pwd"}, SessionID: "sid", Nonce: "n", Claims: []byte(`{"userinfo":{}}`),
		CreatedAt: epoch, ExpiresAt: epoch.Add(24 * time.Hour),
	}
	if refresh != "" {
		g.RefreshHash, g.RefreshIssuedAt, g.RefreshExpiresAt = refresh, epoch, epoch.Add(time.Hour)
	}
	return g
}

func testCode(hash, grant string) store.AuthCode {
	return store.AuthCode{
		Hash: hash, GrantID: grant, ClientID: "client", RedirectURI: "https://app.example/cb",
		CodeChallenge: "challenge", CodeChallengeMethod: "S256",
		IssuedAt: epoch, ExpiresAt: epoch.Add(10 * time.Minute),
	}
}

func testAccess(hash, grant string) store.AccessToken {
	return store.AccessToken{
		Hash: hash, GrantID: grant, ClientID: "client", Subject: "alice",
		Scopes: []string{"basic_info"}, Audience: []string{"https://api.example"},
		Claims: []byte(`{"tenant": "a"}`), IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour),
	}
}

// refresh returns a refresh token state issued at the clock's time that
// lives an hour.
func refresh(hash string, c *clock) store.RefreshState {
	return store.RefreshState{Hash: hash, IssuedAt: c.now(), ExpiresAt: c.now().Add(time.Hour)}
}

// assertSame compares two records with their times as instants.
func assertSame[T any](t *testing.T, want, got T, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, normalTimes(want), normalTimes(got), msgAndArgs...)
}

func normalTimes[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	for i := range rv.NumField() {
		if tm, ok := rv.Field(i).Interface().(time.Time); ok {
			rv.Field(i).Set(reflect.ValueOf(tm.UTC().Round(time.Microsecond)))
		}
	}
	return v
}

// expiresAtMillis returns the Unix milliseconds at which Redis expires key.
func expiresAtMillis(t *testing.T, s *Store, key string) int64 {
	t.Helper()
	ms, err := s.rdb.Do(t.Context(), "pexpiretime", key).Int64()
	require.NoError(t, err)
	return ms
}

func TestCodeLifecycle(t *testing.T) {
	c := newClock(epoch)
	s := newClockStore(t, c)
	ctx := t.Context()
	require.NoError(t, s.SaveGrant(ctx, testGrant("g", "")))
	code := testCode("code-1", "g")
	require.NoError(t, s.SaveCode(ctx, code))
	assert.ErrorIs(t, s.SaveCode(ctx, code), store.ErrAlreadyExists)
	key := s.codeKey("g", "code-1")
	ttl := expiresAtMillis(t, s, key)
	assert.Equal(t, code.ExpiresAt.UnixMilli()+1, ttl, "Redis drops the key at ExpiresAt rounded up to the millisecond")

	got, err := s.Code(ctx, "g", "code-1")
	require.NoError(t, err)
	assertSame(t, code, got)
	got, err = s.ConsumeCode(ctx, "g", "code-1")
	require.NoError(t, err)
	assertSame(t, code, got)
	got, err = s.ConsumeCode(ctx, "g", "code-1")
	require.ErrorIs(t, err, store.ErrReused)
	assertSame(t, code, got)
	assert.Equal(t, ttl, expiresAtMillis(t, s, key), "consuming keeps the key's expiry")

	// A consumed code stays recognisable until its expiry, to the
	// microsecond, then is gone; its key is free again.
	c.set(code.ExpiresAt.Add(-time.Microsecond))
	_, err = s.Code(ctx, "g", "code-1")
	assert.ErrorIs(t, err, store.ErrReused)
	c.set(code.ExpiresAt)
	_, err = s.ConsumeCode(ctx, "g", "code-1")
	assert.ErrorIs(t, err, store.ErrNotFound)
	code.ExpiresAt = c.now().Add(time.Minute)
	require.NoError(t, s.SaveCode(ctx, code), "an expired code's key is free")
	_, err = s.ConsumeCode(ctx, "g", "code-1")
	assert.NoError(t, err, "and the new code is unconsumed")
}

func TestSaveRefusesExpiredRecords(t *testing.T) {
	s := newClockStore(t, newClock(epoch))
	ctx := t.Context()
	require.NoError(t, s.SaveGrant(ctx, testGrant("g", "")))
	for _, exp := range []time.Time{{}, epoch.Add(-time.Second), epoch, epoch.Add(400 * time.Nanosecond)} {
		t.Run(exp.String(), func(t *testing.T) {
			g := testGrant("g2", "")
			g.ExpiresAt = exp
			assert.ErrorIs(t, s.SaveGrant(ctx, g), store.ErrExpired)
			code := testCode("c", "g")
			code.ExpiresAt = exp
			assert.ErrorIs(t, s.SaveCode(ctx, code), store.ErrExpired)
			for _, grant := range []string{"g", ""} {
				at := testAccess("a", grant)
				at.ExpiresAt = exp
				assert.ErrorIs(t, s.SaveAccessToken(ctx, at), store.ErrExpired)
			}
			_, err := s.RotateRefreshToken(ctx, "g", "", store.RefreshState{Hash: "r", IssuedAt: epoch, ExpiresAt: exp})
			assert.ErrorIs(t, err, store.ErrExpired)
			assert.ErrorIs(t, s.SaveAuthRequest(ctx, store.AuthRequest{ID: "r", ExpiresAt: exp}), store.ErrExpired)
			assert.ErrorIs(t, s.SaveConsent(ctx, store.Consent{Subject: "a", ClientID: "c", ExpiresAt: exp}), store.ErrExpired)
			assert.ErrorIs(t, s.UseOnce(ctx, "k", exp), store.ErrExpired)
		})
	}
	assert.Equal(t, 1, countKeys(t, s.rdb, s.prefix), "only the live grant was stored")
	g, err := s.Grant(ctx, "g")
	require.NoError(t, err)
	assert.Empty(t, g.RefreshHash, "no expired refresh token was installed")
}

// TestRotationKeepsOneKey rotates one grant's refresh token a thousand
// times: the grant stays one key of the same size, and every retired token
// is a reuse.
func TestRotationKeepsOneKey(t *testing.T) {
	c := newClock(epoch)
	s := newClockStore(t, c)
	ctx := t.Context()
	hash := func(i int) string { return fmt.Sprintf("r%04d", i) }
	g := testGrant("g", hash(0))
	require.NoError(t, s.SaveGrant(ctx, g))
	size := func() int64 {
		n, err := s.rdb.MemoryUsage(ctx, s.grantKey("g")).Result()
		require.NoError(t, err)
		return n
	}
	var first int64
	for i := range 1000 {
		c.advance(time.Second)
		_, err := s.RotateRefreshToken(ctx, "g", hash(i), refresh(hash(i+1), c))
		require.NoError(t, err, "rotation %d", i+1)
		if i == 0 {
			first = size()
		}
	}
	assert.Equal(t, 1, countKeys(t, s.rdb, s.prefix), "one key per grant")
	assert.LessOrEqual(t, size(), first+8, "the grant's hash does not grow with rotations (the count takes 3 more digits)")
	got, err := s.Grant(ctx, "g")
	require.NoError(t, err)
	assert.Equal(t, 1000, got.RefreshCount)
	assert.Equal(t, hash(1000), got.RefreshHash)
	assert.Equal(t, hash(999), got.PreviousRefreshHash)
	assert.True(t, got.RotatedAt.Equal(c.now()), "RotatedAt %v", got.RotatedAt)
	for _, old := range []string{hash(0), hash(500), hash(999)} {
		reused, err := s.RotateRefreshToken(ctx, "g", old, refresh("x", c))
		require.ErrorIs(t, err, store.ErrReused, old)
		assertSame(t, got, reused)
	}
}

// TestRevokeLeavesTombstone checks what RevokeGrant leaves in Redis: the
// grant's hash with only its expiry and the mark, expiring when the grant
// would have, and nothing of its codes and tokens readable.
func TestRevokeLeavesTombstone(t *testing.T) {
	c := newClock(epoch)
	s := newClockStore(t, c)
	ctx := t.Context()
	g := testGrant("g", "r1")
	require.NoError(t, s.SaveGrant(ctx, g))
	require.NoError(t, s.SaveCode(ctx, testCode("code", "g")))
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("at", "g")))
	ttl := expiresAtMillis(t, s, s.grantKey("g"))

	require.NoError(t, s.RevokeGrant(ctx, "g"))
	fields, err := s.rdb.HGetAll(ctx, s.grantKey("g")).Result()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"e": stamp(g.ExpiresAt), "x": "1"}, fields)
	assert.Equal(t, ttl, expiresAtMillis(t, s, s.grantKey("g")), "the tombstone expires with the grant")
	_, err = s.Code(ctx, "g", "code")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.AccessToken(ctx, "at")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, s.SaveGrant(ctx, testGrant("g", "")), store.ErrAlreadyExists, "the tombstone keeps the id")

	// At the grant's expiry the ID is free again, and the old grant's
	// records stay unreadable.
	c.set(g.ExpiresAt)
	fresh := testGrant("g", "")
	fresh.ExpiresAt = c.now().Add(time.Hour)
	require.NoError(t, s.SaveGrant(ctx, fresh))
	got, err := s.Grant(ctx, "g")
	require.NoError(t, err)
	assertSame(t, fresh, got)
}

// TestAccessTokenBoundToGrantGeneration checks that an access token is read
// only under the grant it was saved with, not under a later grant of the
// same ID: on a Redis Cluster whose nodes disagree on the time, the old
// grant may be gone while its token still looks live.
func TestAccessTokenBoundToGrantGeneration(t *testing.T) {
	s := newClockStore(t, newClock(epoch))
	ctx := t.Context()
	require.NoError(t, s.SaveGrant(ctx, testGrant("g", "")))
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("at", "g")))
	_, err := s.AccessToken(ctx, "at")
	require.NoError(t, err)

	// The grant's node drops it early, and the ID is saved again.
	require.NoError(t, s.rdb.Del(ctx, s.grantKey("g")).Err())
	require.NoError(t, s.SaveGrant(ctx, testGrant("g", "")))
	_, err = s.AccessToken(ctx, "at")
	assert.ErrorIs(t, err, store.ErrNotFound, "a token of an earlier grant under the same id")
	require.NoError(t, s.SaveAccessToken(ctx, testAccess("at2", "g")))
	_, err = s.AccessToken(ctx, "at2")
	assert.NoError(t, err, "a token of the current grant")
}

// TestServerClock checks the clock the store uses without a test clock:
// the Redis server's TIME.
func TestServerClock(t *testing.T) {
	s := newStoreOn(t, singleClient(t), Options{})
	ctx := t.Context()
	serverNow, err := s.rdb.Time(ctx).Result()
	require.NoError(t, err)
	g := testGrant("g", "")
	g.ExpiresAt = serverNow.Add(-time.Second)
	assert.ErrorIs(t, s.SaveGrant(ctx, g), store.ErrExpired)
	g.ExpiresAt = serverNow.Add(time.Hour)
	require.NoError(t, s.SaveGrant(ctx, g))
	_, err = s.Grant(ctx, "g")
	assert.NoError(t, err)
}

// TestCorruptRecord checks that a record Redis holds but the store cannot
// decode is a system failure, never a record or ErrNotFound.
func TestCorruptRecord(t *testing.T) {
	s := newClockStore(t, newClock(epoch))
	ctx := t.Context()
	require.NoError(t, s.SaveGrant(ctx, testGrant("g", "")))
	require.NoError(t, s.rdb.HSet(ctx, s.grantKey("g"), "d", "\x01\x05ab").Err())
	got, err := s.Grant(ctx, "g")
	require.ErrorIs(t, err, errCorrupt)
	assert.NotErrorIs(t, err, store.ErrNotFound)
	assert.Zero(t, got)
}

// TestKeyLayout pins the key layout the package documentation describes.
func TestKeyLayout(t *testing.T) {
	s, err := New(goredis.NewClient(&goredis.Options{}), Options{})
	require.NoError(t, err)
	for _, tc := range []struct{ got, want string }{
		{s.grantKey("g1"), "kunci:{g:2:g1}"},
		{s.codeKey("g1", "h"), "kunci:{g:2:g1}c:h"},
		{s.accessKey("h"), "kunci:a:h"},
		{s.clientKey("app"), "kunci:c:app"},
		{s.requestKey("r"), "kunci:r:r"},
		{s.consentKey("alice", "app"), "kunci:n:5:aliceapp"},
		{s.onceKey("dpop:j"), "kunci:o:dpop:j"},
	} {
		assert.Equal(t, tc.want, tc.got)
	}
	// No two different lookups name one key.
	assert.NotEqual(t, s.consentKey("a:b", "c"), s.consentKey("a", "b:c"))
	assert.NotEqual(t, s.grantKey("x}c:h"), s.codeKey("x", "h}"))
	assert.NotEqual(t, s.codeKey("a", "bc"), s.codeKey("ab", "c"))
}

// TestGrantKeysShareASlot checks, with the cluster's own CLUSTER KEYSLOT,
// that a grant and its codes are in one slot whatever the grant ID holds,
// and that every grant-family method works on such IDs in the cluster.
func TestGrantKeysShareASlot(t *testing.T) {
	client := clusterClient(t)
	s := newStoreOn(t, client, Options{})
	s.now = newClock(epoch).now
	ctx := t.Context()
	for _, id := range []string{"plain", "a}b", "{x}", "}", "{", "{}", "g:1:z}c:", "ünï\x00"} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			grantSlot, err := client.ClusterKeySlot(ctx, s.grantKey(id)).Result()
			require.NoError(t, err)
			codeSlot, err := client.ClusterKeySlot(ctx, s.codeKey(id, "h{a}sh")).Result()
			require.NoError(t, err)
			assert.Equal(t, grantSlot, codeSlot)

			require.NoError(t, s.SaveGrant(ctx, testGrant(id, "r1")))
			require.NoError(t, s.SaveCode(ctx, testCode("h{a}sh", id)))
			_, err = s.ConsumeCode(ctx, id, "h{a}sh")
			require.NoError(t, err)
			_, err = s.RotateRefreshToken(ctx, id, "r1", store.RefreshState{Hash: "r2", IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour)})
			require.NoError(t, err)
			require.NoError(t, s.SaveAccessToken(ctx, testAccess("at"+id, id)))
			_, err = s.AccessToken(ctx, "at"+id)
			require.NoError(t, err)
			require.NoError(t, s.RevokeGrant(ctx, id))
			_, err = s.Code(ctx, id, "h{a}sh")
			assert.ErrorIs(t, err, store.ErrNotFound)
		})
	}
}

// TestAccessTokenOddGrantIDs checks on a single node, where the lookup's
// script names the grant's key itself, that it names the key Go does for
// any grant ID.
func TestAccessTokenOddGrantIDs(t *testing.T) {
	s := newClockStore(t, newClock(epoch))
	require.True(t, s.singleNode)
	ctx := t.Context()
	for _, id := range []string{"plain", "a}b", "{x}", "}", "{", "g:1:z}c:", "ünï\x00", "%d%s"} {
		require.NoError(t, s.SaveGrant(ctx, testGrant(id, "")))
		require.NoError(t, s.SaveAccessToken(ctx, testAccess("at"+id, id)))
		got, err := s.AccessToken(ctx, "at"+id)
		require.NoError(t, err, "%q", id)
		assert.Equal(t, id, got.GrantID)
		require.NoError(t, s.RevokeGrant(ctx, id))
		_, err = s.AccessToken(ctx, "at"+id)
		assert.ErrorIs(t, err, store.ErrNotFound, "%q after revocation", id)
	}
}

// TestClusterSpreadsGrants checks that grants land on every primary, so the
// cluster tests exercise more than one node.
func TestClusterSpreadsGrants(t *testing.T) {
	client := clusterClient(t)
	s := newStoreOn(t, client, Options{})
	s.now = newClock(epoch).now
	ctx := t.Context()
	for i := range 30 {
		require.NoError(t, s.SaveGrant(ctx, testGrant("spread-"+strconv.Itoa(i), "")))
	}
	var nodes atomic.Int64
	require.NoError(t, client.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
		iter := c.Scan(ctx, 0, s.prefix+"*", 100).Iterator()
		if iter.Next(ctx) {
			nodes.Add(1)
		}
		return iter.Err()
	}))
	assert.Equal(t, int64(3), nodes.Load(), "primaries holding grants")
}
