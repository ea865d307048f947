package demo

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// dpopClaims are the claims of a DPoP proof (RFC 9449 §4.2).
type dpopClaims struct {
	ID       string           `json:"jti"`
	Method   string           `json:"htm"`
	URI      string           `json:"htu"`
	IssuedAt *jwt.NumericDate `json:"iat"`
	// AccessTokenHash is ath, the base64url SHA-256 of the access token
	// the proof presents; absent at the token endpoint.
	AccessTokenHash string `json:"ath,omitempty"`
}

// DPoPProof returns a DPoP proof (RFC 9449 §4.2) for one request: a JWT of
// type dpop+jwt signed with key, whose public half is in the jwk header,
// with a random jti, htm the request method, htu the request URL without
// query and fragment, and iat now. With accessToken set it also carries
// ath, the hash of the token the request presents to a resource server
// (§7.1). A proof is good for one request: servers refuse a jti twice.
func DPoPProof(key jose.JSONWebKey, method, target, accessToken string, now time.Time) (string, error) {
	if key.IsPublic() || !key.Valid() {
		return "", errors.New("demo: DPoP proof: the key must be a valid private key")
	}
	if method == "" {
		return "", errors.New("demo: DPoP proof: missing method")
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("demo: DPoP proof: %q is not an absolute http(s) URL", target)
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.Algorithm), Key: key.Key}, opts)
	if err != nil {
		return "", fmt.Errorf("demo: DPoP proof: %w", err)
	}
	claims := dpopClaims{ID: rand.Text(), Method: method, URI: u.String(), IssuedAt: jwt.NewNumericDate(now)}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		claims.AccessTokenHash = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("demo: DPoP proof: %w", err)
	}
	return s, nil
}
