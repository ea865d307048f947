package middleware

import (
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJWTVerifierReadsCnfJKT(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{})
	claims := testClaims(f.clock.Now())
	claims["cnf"] = map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
	info, err := f.v.VerifyAccessToken(t.Context(), sign(t, f.keys[jose.ES256], "at+jwt", claims))
	require.NoError(t, err)
	assert.Equal(t, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", info.JKT)

	// A cnf that is not an object makes the token invalid.
	claims["cnf"] = "jkt"
	_, err = f.v.VerifyAccessToken(t.Context(), sign(t, f.keys[jose.ES256], "at+jwt", claims))
	assert.ErrorIs(t, err, ErrInvalidToken)
}

func TestIntrospectionVerifierReadsCnfJKT(t *testing.T) {
	v, f, clock := newIntrospectionFixture(t, IntrospectionConfig{})
	exp := clock.Now().Add(time.Hour).Unix()
	f.answers["bound-token"] = `{"active":true,"client_id":"app","token_type":"DPoP","cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},"exp":` + itoa(exp) + `}`
	info, err := v.VerifyAccessToken(t.Context(), "bound-token")
	require.NoError(t, err)
	assert.Equal(t, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", info.JKT)
	info, err = v.VerifyAccessToken(t.Context(), "user-token")
	require.NoError(t, err)
	assert.Empty(t, info.JKT)
}
