package main

import (
	"crypto/sha256"
	"encoding/base64"
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

func writeKey(t *testing.T, key jose.JSONWebKey) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.json")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, demo.WriteClientKey(f, key))
	require.NoError(t, f.Close())
	return path
}

// TestPrintsAVerifiableProof: the printed JWT has the RFC 9449 §4.2 header
// (typ dpop+jwt, the public jwk) and claims, and verifies with that jwk.
func TestPrintsAVerifiableProof(t *testing.T) {
	key, err := demo.NewClientKey()
	require.NoError(t, err)
	path := writeKey(t, key)
	now := time.Unix(1796300000, 0)

	var out strings.Builder
	require.NoError(t, run([]string{"-key", path, "-htm", "GET", "-htu", "https://rs.example/api/me?x=1#f", "-ath", "TOKEN"}, &out, now))
	require.True(t, strings.HasSuffix(out.String(), "\n"))
	tok, err := jwt.ParseSigned(strings.TrimSpace(out.String()), []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	h := tok.Headers[0]
	assert.Equal(t, "dpop+jwt", h.ExtraHeaders[jose.HeaderType])
	require.NotNil(t, h.JSONWebKey)
	assert.True(t, h.JSONWebKey.IsPublic())
	var c map[string]any
	require.NoError(t, tok.Claims(h.JSONWebKey.Key, &c))
	sum := sha256.Sum256([]byte("TOKEN"))
	assert.Equal(t, "GET", c["htm"])
	assert.Equal(t, "https://rs.example/api/me", c["htu"], "query and fragment dropped (RFC 9449 §4.2)")
	assert.Equal(t, float64(now.Unix()), c["iat"])
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), c["ath"])
	assert.Len(t, c["jti"], 26)

	var again strings.Builder
	require.NoError(t, run([]string{"-key", path, "-htm", "POST", "-htu", "https://as.example/oauth/token"}, &again, now))
	tok2, err := jwt.ParseSigned(strings.TrimSpace(again.String()), []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	var c2 map[string]any
	require.NoError(t, tok2.Claims(key.Public().Key, &c2))
	assert.NotContains(t, c2, "ath", "no -ath, no ath")
	assert.NotEqual(t, c["jti"], c2["jti"])
}

func TestRefusesBadArguments(t *testing.T) {
	key, err := demo.NewClientKey()
	require.NoError(t, err)
	path := writeKey(t, key)
	public := writeKey(t, key.Public())

	var out strings.Builder
	assert.EqualError(t, run(nil, &out, time.Now()), "dpopproof: -key is required")
	assert.EqualError(t, run([]string{"-key", path}, &out, time.Now()), "dpopproof: -htm is required")
	assert.EqualError(t, run([]string{"-key", path, "-htm", "GET"}, &out, time.Now()), "dpopproof: -htu is required")
	assert.EqualError(t, run([]string{"-key", path, "-htm", "GET", "-htu", "/api/me"}, &out, time.Now()),
		`demo: DPoP proof: "/api/me" is not an absolute http(s) URL`)
	assert.EqualError(t, run([]string{"-key", public, "-htm", "GET", "-htu", "https://rs.example/"}, &out, time.Now()),
		"demo: client key: "+public+" holds no private key")
	assert.EqualError(t, run([]string{"-key", path, "extra"}, &out, time.Now()), `dpopproof: unexpected arguments ["extra"]`)
	assert.EqualError(t, run([]string{"-nope"}, &out, time.Now()), "dpopproof: flag provided but not defined: -nope")
	assert.Empty(t, out.String())
}
