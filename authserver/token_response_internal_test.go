package authserver

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAppendStandardBodyMatchesJSON checks the reflection-free writer against
// encoding/json for every shape of standard response.
func TestAppendStandardBodyMatchesJSON(t *testing.T) {
	for _, resp := range []tokenResponse{
		{AccessToken: newToken(prefixAccess), TokenType: "Bearer", ExpiresIn: 1800},
		{AccessToken: "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", TokenType: "Bearer", ExpiresIn: 0, RefreshToken: newToken(prefixRefresh)},
		{AccessToken: newToken(prefixAccess), TokenType: "Bearer", ExpiresIn: 60, RefreshToken: newToken(prefixRefresh), Scope: "basic_info phone urn:x:y!#$%&'()*+,-./:;<=>?@[]^_`{|}~"},
		{AccessToken: newToken(prefixAccess), TokenType: "Bearer", ExpiresIn: 60, Scope: "openid", IDToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_"},
	} {
		want, err := json.Marshal(resp)
		require.NoError(t, err)
		got := appendStandardBody(nil, resp)
		assert.JSONEq(t, string(want), string(got))
		assert.True(t, json.Valid(got))
	}
}

// BenchmarkTokenResponseBody measures what the hand-written writer buys over
// encoding/json for the standard token response, the body of every token
// request: the "handwritten" case against the "encoding_json" one.
func BenchmarkTokenResponseBody(b *testing.B) {
	resp := tokenResponse{AccessToken: newToken(prefixAccess), TokenType: "Bearer", ExpiresIn: 1800,
		RefreshToken: newToken(prefixRefresh), Scope: "basic_info phone"}
	b.Run("handwritten", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = appendStandardBody(make([]byte, 0, 256), resp)
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
