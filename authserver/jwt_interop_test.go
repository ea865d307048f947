package authserver_test

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
)

// TestJWTSignedDirectlyVerifiesElsewhere checks that the access tokens the
// prepared signer makes, for every algorithm the server signs with, are
// standard JWS: go-jose and go-oidc verify them with the served key set,
// the header is exactly {"alg","kid","typ"} and ES* signatures are R || S
// (RFC 7518 §3.4).
func TestJWTSignedDirectlyVerifiesElsewhere(t *testing.T) {
	sigLen := map[jose.SignatureAlgorithm]int{jose.ES256: 64, jose.ES384: 96, jose.ES512: 132, jose.EdDSA: 64, jose.RS256: 256, jose.PS256: 256}
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.RS256, jose.PS256} {
		t.Run(string(alg), func(t *testing.T) {
			key := genKey(t, alg)
			srv := newJWTServer(t, store.NewMemoryWithCleanup(0), []jose.JSONWebKey{key}, nil)
			token := issueJWT(t, srv, url.Values{"scope": {"basic_info keys_op"}})
			set, _ := fetchJWKS(t, srv)

			parts := strings.Split(token, ".")
			require.Len(t, parts, 3)
			head, err := base64.RawURLEncoding.DecodeString(parts[0])
			require.NoError(t, err)
			assert.JSONEq(t, `{"alg":"`+string(alg)+`","kid":"`+key.KeyID+`","typ":"at+jwt"}`, string(head))
			sig, err := base64.RawURLEncoding.DecodeString(parts[2])
			require.NoError(t, err)
			assert.Len(t, sig, sigLen[alg])

			parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{alg})
			require.NoError(t, err)
			var claims map[string]any
			require.NoError(t, parsed.Claims(set.Key(key.KeyID)[0].Key, &claims))
			assert.Equal(t, "basic_info keys_op", claims["scope"])

			verifier := oidc.NewVerifier(testIssuer, &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{set.Keys[0].Key}},
				&oidc.Config{ClientID: testIssuer, SupportedSigningAlgs: []string{string(alg)}})
			idt, err := verifier.Verify(t.Context(), token)
			require.NoError(t, err)
			assert.Equal(t, jwtClientID, idt.Subject)
			var fromOIDC map[string]any
			require.NoError(t, idt.Claims(&fromOIDC))
			want, err := json.Marshal(claims)
			require.NoError(t, err)
			got, err := json.Marshal(fromOIDC)
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(got))
		})
	}
}
