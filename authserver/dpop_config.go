package authserver

import (
	"crypto/rand"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/internal/dpop"
	"github.com/kunci/kunci/internal/policy"
	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

// DPoP configures sender-constrained tokens with DPoP proofs (RFC 9449).
// The zero value leaves DPoP off: a DPoP header at the token endpoint is
// ignored and every token is a bearer token.
type DPoP struct {
	// Enabled accepts DPoP proofs at the token endpoint (RFC 9449 §5): a
	// token request with a valid proof gets an access token bound to the
	// proof's key (token_type "DPoP", cnf.jkt), and a public client's
	// refresh token is bound to it too (§5). A public client's grant is
	// bound when it is made: by dpop_jkt at the authorization endpoint
	// (§10), which such a client should send. A code of a grant made
	// without one, redeemed with a proof, gets a DPoP access token but no
	// refresh token, and a refresh token of such a grant refreshes only
	// without a proof (invalid_dpop_proof otherwise). It also accepts dpop_jkt at the
	// authorization endpoint (§10), DPoP-bound tokens at UserInfo, and
	// publishes dpop_signing_alg_values_supported.
	Enabled bool
	// Required refuses every token request without a proof
	// (invalid_dpop_proof), as a client's DPoPBoundAccessTokens does for
	// that client alone. Needs Enabled.
	Required bool
	// Algorithms lists the JWS algorithms a proof may use. Nil means those
	// the server signs with (ES256, ES384, ES512, EdDSA, RS256, PS256);
	// only asymmetric algorithms are allowed.
	Algorithms []jose.SignatureAlgorithm
	// Window is how far a proof's iat may lie from the server's clock, and
	// how long its jti is remembered in the store (RFC 9449 §11.1). Zero
	// means one minute; negative or above ten minutes is an error.
	Window time.Duration
	// Nonce requires a server nonce in every proof (RFC 9449 §8): a proof
	// without the current one is answered with use_dpop_nonce and the
	// nonce in the DPoP-Nonce header, which every token endpoint response
	// carries. Nonces are an HMAC over a time slot, kept nowhere.
	Nonce bool
	// NonceKey is the HMAC key of the nonces, at least 32 bytes. Instances
	// that share it accept each other's nonces. Nil means a random key of
	// this process, which only suits a single instance.
	NonceKey []byte
	// NonceLifetime is how long one nonce is handed out; it is accepted
	// for twice that. Zero means five minutes.
	NonceLifetime time.Duration
}

// checkDPoP checks Config.DPoP.
func (c *Config) checkDPoP(p *problems) {
	d := c.DPoP
	if !d.Enabled {
		if d.Required || d.Nonce || d.NonceKey != nil || d.Algorithms != nil || d.Window != 0 || d.NonceLifetime != 0 {
			p.add("DPoP.Enabled", "DPoP settings are made but DPoP is not enabled")
		}
		return
	}
	for _, a := range d.Algorithms {
		if !policy.Asymmetric(a) {
			p.add("DPoP.Algorithms", "%q is not an asymmetric algorithm", string(a))
		}
	}
	if d.Algorithms != nil && len(d.Algorithms) == 0 {
		p.add("DPoP.Algorithms", "is empty")
	}
	if d.Window < 0 || d.Window > dpop.MaxWindow {
		p.add("DPoP.Window", "must be between 0 and %v", dpop.MaxWindow)
	}
	if d.Window != 0 && d.Window < time.Second {
		p.add("DPoP.Window", "must be at least one second: iat has second precision")
	}
	if d.NonceLifetime < 0 || d.NonceLifetime != 0 && (d.NonceLifetime < time.Second || d.NonceLifetime > 24*time.Hour) {
		p.add("DPoP.NonceLifetime", "must be between one second and 24 hours")
	}
	if d.NonceKey != nil && len(d.NonceKey) < 32 {
		p.add("DPoP.NonceKey", "must be at least 32 bytes")
	}
	if !d.Nonce && (d.NonceKey != nil || d.NonceLifetime != 0) {
		p.add("DPoP.Nonce", "nonce settings are made but Nonce is off")
	}
}

// newDPoPVerifier returns the proof verifier of the token endpoint, nil
// when DPoP is off. A nonce key left nil is set to a random one, which
// UserInfo then shares.
func newDPoPVerifier(d *DPoP, st store.ReplayStore) (*dpop.Verifier, error) {
	if !d.Enabled {
		return nil, nil
	}
	if d.Nonce && d.NonceKey == nil {
		d.NonceKey = make([]byte, 32)
		rand.Read(d.NonceKey)
	}
	return dpop.New(dpop.Config{Algorithms: d.Algorithms, Window: d.Window, Replay: st, NonceKey: d.NonceKey, NonceSlot: d.NonceLifetime})
}

// userInfoDPoP returns the middleware's DPoP options for the UserInfo
// endpoint, nil when DPoP is off: the same rules as the token endpoint,
// with htu the advertised userinfo_endpoint.
func (s *Server) userInfoDPoP() *middleware.DPoPOptions {
	if s.dpop == nil {
		return nil
	}
	d := s.cfg.DPoP
	return &middleware.DPoPOptions{
		ExternalURL:   s.endpoint(s.cfg.Paths.UserInfo),
		ExactURL:      true,
		Replay:        s.store,
		Algorithms:    d.Algorithms,
		Window:        d.Window,
		NonceKey:      d.NonceKey,
		NonceLifetime: d.NonceLifetime,
	}
}
