package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
)

func TestMigrateIsIdempotent(t *testing.T) {
	s := newTestStore(t) // migrated once
	ctx := t.Context()
	require.NoError(t, s.Migrate(ctx))

	var versions []int
	rows, err := s.pool.Query(ctx, "SELECT version FROM kunci_schema_migrations ORDER BY version")
	require.NoError(t, err)
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	require.NoError(t, rows.Err())
	all, err := migrations()
	require.NoError(t, err)
	want := make([]int, len(all))
	for i, m := range all {
		want[i] = m.version
	}
	assert.Equal(t, want, versions)
}

func TestMigrateConcurrent(t *testing.T) {
	pool := newTestPool(t)
	const n = 4
	start := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		go func() {
			<-start
			errs <- New(pool).Migrate(context.Background())
		}()
	}
	close(start)
	for range n {
		assert.NoError(t, <-errs)
	}
	var count int
	require.NoError(t, pool.QueryRow(t.Context(), "SELECT count(*) FROM kunci_schema_migrations").Scan(&count))
	all, err := migrations()
	require.NoError(t, err)
	assert.Equal(t, len(all), count, "each migration is recorded exactly once")
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	_, err := s.pool.Exec(ctx, "INSERT INTO kunci_schema_migrations (version, name) VALUES (9999, '9999_future.sql')")
	require.NoError(t, err)
	err = s.Migrate(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "newer than this package")
}

// TestMigrateFromSchema2 upgrades a database at schema version 2, with rows
// in every table, to the latest version: the token tables of 0001 are
// replaced (their rows dropped), clients, pending requests and consents are
// kept, and the store works.
func TestMigrateFromSchema2(t *testing.T) {
	pool := newTestPool(t)
	ctx := t.Context()
	migrateTo(t, pool, 2)
	_, err := pool.Exec(ctx, `
		INSERT INTO kunci_clients (id, secret_hash, name, auth_method, pkce_optional, access_token_format)
		    VALUES ('app', '', 'App', 'none', false, '');
		INSERT INTO kunci_tokens (hash, kind, grant_id, client_id, subject, refresh_count, expires_at)
		    VALUES ('r1', 'refresh', 'g', 'app', 'alice', 0, now() + interval '1 day');
		INSERT INTO kunci_codes (hash, grant_id, client_id, subject, redirect_uri, code_challenge,
		    code_challenge_method, expires_at) VALUES ('c1', 'g', 'app', 'alice', '', '', '', now() + interval '1 hour');
		INSERT INTO kunci_revoked_grants (grant_id, revoked_at) VALUES ('old', now());
		INSERT INTO kunci_auth_requests (id, client_id, redirect_uri, response_type, state, code_challenge,
		    code_challenge_method, login_uri, csrf_hash, subject, expires_at)
		    VALUES ('req', 'app', '', 'code', '', '', '', '', '', '', now() + interval '1 hour');
		INSERT INTO kunci_consents (subject, client_id, expires_at) VALUES ('alice', 'app', now() + interval '1 day')`)
	require.NoError(t, err)

	s := New(pool)
	require.NoError(t, s.Migrate(ctx))
	_, err = s.Client(ctx, "app")
	assert.NoError(t, err, "clients are kept")
	req, err := s.AuthRequest(ctx, "req")
	assert.NoError(t, err, "pending requests are kept")
	assert.False(t, req.Pushed, "and were not pushed")
	assert.Empty(t, req.Nonce, "and carry no nonce")
	_, err = s.Consent(ctx, "alice", "app")
	assert.NoError(t, err, "consents are kept")
	var old int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables
		WHERE tablename IN ('kunci_tokens', 'kunci_revoked_grants') AND schemaname = current_schema()`).Scan(&old))
	assert.Zero(t, old, "the v1 token tables are gone")
	g := store.Grant{ID: "g", ClientID: "app", ExpiresAt: time.Now().Add(time.Hour)}
	require.NoError(t, s.SaveGrant(ctx, g), "grant ids of dropped rows are free")
	_, err = s.Code(ctx, "g", "c1")
	assert.ErrorIs(t, err, store.ErrNotFound, "v1 codes are gone")
}

// TestMigrateFromSchema5 upgrades a database at schema version 5, with a
// client and a pending request in it, to the latest version: both read
// back with the fields of version 6 empty, and then keep them when saved.
func TestMigrateFromSchema5(t *testing.T) {
	pool := newTestPool(t)
	ctx := t.Context()
	migrateTo(t, pool, 5)
	_, err := pool.Exec(ctx, `
		INSERT INTO kunci_clients (id, secret_hash, name, redirect_uris, auth_method, pkce_optional,
		    access_token_format, application_type, default_max_age_ns)
		    VALUES ('app', 'h', 'App', '{https://app.example/cb}', 'client_secret_basic', false, '', 'web', 60000000000);
		INSERT INTO kunci_auth_requests (id, client_id, redirect_uri, response_type, state, code_challenge,
		    code_challenge_method, login_uri, csrf_hash, subject, expires_at, nonce, claims)
		    VALUES ('req', 'app', '', 'code', 'xyz', '', '', '', '', '', now() + interval '1 hour', 'n', '{}')`)
	require.NoError(t, err)

	s := New(pool)
	require.NoError(t, s.Migrate(ctx))
	c, err := s.Client(ctx, "app")
	require.NoError(t, err)
	assert.Equal(t, store.Client{ID: "app", SecretHash: "h", Name: "App", RedirectURIs: []string{"https://app.example/cb"},
		AuthMethod: "client_secret_basic", ApplicationType: "web", DefaultMaxAge: time.Minute}, c)
	req, err := s.AuthRequest(ctx, "req")
	require.NoError(t, err)
	assert.Equal(t, "xyz", req.State)
	assert.Equal(t, "n", req.Nonce)
	assert.Equal(t, []byte("{}"), req.Claims)
	assert.Empty(t, req.JKT, "a request of version 5 has no dpop_jkt")

	c.RequireAuthTime, c.PostLogoutRedirectURIs = true, []string{"https://app.example/bye"}
	c.SubjectType, c.SectorIdentifier = "pairwise", "app.example"
	c.JWKS, c.JWKSURI, c.AuthSigningAlg = []byte(`{"keys":[]}`), "https://app.example/jwks", "ES256"
	c.AcceptEndpointAudience, c.RequirePushedAuthorizationRequests, c.DPoPBoundAccessTokens = true, true, true
	c.LogoURI, c.ClientURI = "https://app.example/logo.png", "https://app.example"
	c.PolicyURI, c.TOSURI = "https://app.example/privacy", "https://app.example/tos"
	require.NoError(t, s.SaveClient(ctx, c))
	got, err := s.Client(ctx, "app")
	require.NoError(t, err)
	assert.Equal(t, c, got)
	req.JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	require.NoError(t, s.SaveAuthRequest(ctx, req))
	gotReq, err := s.ConsumeAuthRequest(ctx, "req")
	require.NoError(t, err)
	assert.Equal(t, req.JKT, gotReq.JKT)
}

// migrateTo brings the empty schema of pool to version n by applying the
// first n migrations, as Migrate of an older release would have.
func migrateTo(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	ctx := t.Context()
	all, err := migrations()
	require.NoError(t, err)
	require.Greater(t, len(all), n)
	_, err = pool.Exec(ctx, `CREATE TABLE kunci_schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`)
	require.NoError(t, err)
	for i, m := range all[:n] {
		require.Equal(t, i+1, m.version, "migration %s", m.name)
		_, err := pool.Exec(ctx, m.sql)
		require.NoError(t, err, m.name)
		_, err = pool.Exec(ctx, "INSERT INTO kunci_schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
		require.NoError(t, err)
	}
}
