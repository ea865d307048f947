package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/example/internal/demo"
)

// TestPrintsAVerifiableAssertion: the printed JWT verifies with the
// key's public half and carries the RFC 7523 §3 claims for the flags.
func TestPrintsAVerifiableAssertion(t *testing.T) {
	key, err := demo.NewClientKey()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "key.json")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, demo.WriteClientKey(f, key))
	require.NoError(t, f.Close())
	now := time.Unix(1796300000, 0)

	var out strings.Builder
	require.NoError(t, run([]string{"-key", path, "-client", "my-client", "-aud", "https://as.example"}, &out, now))
	require.True(t, strings.HasSuffix(out.String(), "\n"))
	tok, err := jwt.ParseSigned(strings.TrimSpace(out.String()), []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	assert.Equal(t, key.KeyID, tok.Headers[0].KeyID)
	assert.Equal(t, "JWT", tok.Headers[0].ExtraHeaders[jose.HeaderType])
	var c jwt.Claims
	require.NoError(t, tok.Claims(key.Public().Key, &c))
	assert.Equal(t, "my-client", c.Issuer)
	assert.Equal(t, "my-client", c.Subject)
	assert.Equal(t, jwt.Audience{"https://as.example"}, c.Audience)
	assert.Equal(t, jwt.NewNumericDate(now), c.IssuedAt)
	assert.Equal(t, jwt.NewNumericDate(now.Add(2*time.Minute)), c.Expiry)
	assert.Len(t, c.ID, 26, "rand.Text: 130 random bits")

	// Two assertions never share a jti.
	var again strings.Builder
	require.NoError(t, run([]string{"-key", path}, &again, now))
	tok2, err := jwt.ParseSigned(strings.TrimSpace(again.String()), []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	var c2 jwt.Claims
	require.NoError(t, tok2.Claims(key.Public().Key, &c2))
	assert.Equal(t, demo.FAPIClientID, c2.Subject, "the default -client")
	assert.Equal(t, jwt.Audience{"http://127.0.0.1:8080"}, c2.Audience, "the default -aud")
	assert.NotEqual(t, c.ID, c2.ID)
}

func TestRefusesBadArguments(t *testing.T) {
	dir := t.TempDir()
	key, err := demo.NewClientKey()
	require.NoError(t, err)
	public := filepath.Join(dir, "public.json")
	f, err := os.Create(public)
	require.NoError(t, err)
	require.NoError(t, demo.WriteClientKey(f, key.Public()))
	require.NoError(t, f.Close())

	var out strings.Builder
	assert.EqualError(t, run(nil, &out, time.Now()), "clientassertion: -key is required")
	assert.EqualError(t, run([]string{"-key", public}, &out, time.Now()), "demo: client key: "+public+" holds no private key")
	assert.EqualError(t, run([]string{"-key", public, "extra"}, &out, time.Now()), `clientassertion: unexpected arguments ["extra"]`)
	assert.EqualError(t, run([]string{"-nope"}, &out, time.Now()), "clientassertion: flag provided but not defined: -nope")
	missing := filepath.Join(dir, "missing.json")
	assert.EqualError(t, run([]string{"-key", missing}, &out, time.Now()), "demo: client key: open "+missing+": no such file or directory")
	assert.Empty(t, out.String())
}
