package dpop

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/internal/digest"
	"github.com/kunci/kunci/internal/policy"
	"github.com/kunci/kunci/store"
)

// MaxProofLength bounds a proof the Verifier parses: room for an RSA-4096
// key and signature, refused unread beyond it.
const MaxProofLength = 8 << 10

// maxJTILength bounds a jti; RFC 9449 §4.2 asks for 96 bits of randomness,
// far less.
const maxJTILength = 256

// Defaults of Config.
const (
	// DefaultWindow is the iat window when Config.Window is zero.
	DefaultWindow = time.Minute
	// MaxWindow is the largest Config.Window.
	MaxWindow = 10 * time.Minute
	// DefaultNonceSlot is the nonce lifetime when Config.NonceSlot is zero.
	DefaultNonceSlot = 5 * time.Minute
	// minNonceKey is the shortest nonce key accepted.
	minNonceKey = 32
)

// Error codes of RFC 9449 §12.2.
const (
	// CodeInvalidProof is invalid_dpop_proof (RFC 9449 §5, §7.1).
	CodeInvalidProof = "invalid_dpop_proof"
	// CodeUseNonce is use_dpop_nonce (RFC 9449 §8, §9).
	CodeUseNonce = "use_dpop_nonce"
)

// Error is a proof the Verifier refused. Code is [CodeInvalidProof] or
// [CodeUseNonce]; Description is fixed text safe to send to the client.
type Error struct {
	Code        string
	Description string
}

// Error implements error.
func (e *Error) Error() string { return "dpop: " + e.Code + ": " + e.Description }

// invalid returns an invalid_dpop_proof Error.
func invalid(desc string) *Error { return &Error{Code: CodeInvalidProof, Description: desc} }

// Config configures [New].
type Config struct {
	// Algorithms are the JWS algorithms a proof may use
	// (dpop_signing_alg_values_supported). Nil means
	// policy.SigningAlgorithms(); every one must be asymmetric.
	Algorithms []jose.SignatureAlgorithm
	// Window is how far a proof's iat may lie from now, before or after
	// (RFC 9449 §11.1), and so how long its jti is remembered. Zero means
	// DefaultWindow; negative or above MaxWindow is an error.
	Window time.Duration
	// Replay records jtis (UseOnce with the "dpop:" prefix). Required;
	// instances sharing it share the replay check.
	Replay store.ReplayStore
	// NonceKey, when set, makes the Verifier require a server nonce (RFC
	// 9449 §8): an HMAC with this key over a time slot, so instances
	// sharing the key accept each other's nonces. At least 32 bytes; nil
	// means no nonce.
	NonceKey []byte
	// NonceSlot is how long one nonce is issued; it is accepted for two
	// slots. Zero means DefaultNonceSlot; negative is an error.
	NonceSlot time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// Verifier checks DPoP proofs. It is immutable and safe for concurrent use.
type Verifier struct {
	algs      []jose.SignatureAlgorithm
	window    time.Duration
	replay    store.ReplayStore
	nonceKey  []byte
	nonceSlot time.Duration
	now       func() time.Time
}

// New validates cfg and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	v := &Verifier{replay: cfg.Replay, now: cfg.Now, nonceKey: slices.Clone(cfg.NonceKey)}
	if cfg.Replay == nil {
		return nil, errors.New("dpop: Replay is required")
	}
	v.algs = slices.Clone(cfg.Algorithms)
	if v.algs == nil {
		v.algs = policy.SigningAlgorithms()
	}
	if len(v.algs) == 0 {
		return nil, errors.New("dpop: Algorithms is empty")
	}
	for _, a := range v.algs {
		if !policy.Asymmetric(a) {
			return nil, fmt.Errorf("dpop: algorithm %q is not asymmetric", string(a))
		}
	}
	switch {
	case cfg.Window < 0 || cfg.Window > MaxWindow:
		return nil, fmt.Errorf("dpop: Window must be between 0 and %v", MaxWindow)
	case cfg.Window == 0:
		v.window = DefaultWindow
	default:
		v.window = cfg.Window
	}
	if cfg.NonceKey != nil && len(cfg.NonceKey) < minNonceKey {
		return nil, fmt.Errorf("dpop: NonceKey shorter than %d bytes", minNonceKey)
	}
	switch {
	case cfg.NonceSlot < 0:
		return nil, errors.New("dpop: negative NonceSlot")
	case cfg.NonceSlot == 0:
		v.nonceSlot = DefaultNonceSlot
	default:
		v.nonceSlot = cfg.NonceSlot
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// Algorithms returns the accepted algorithms, for metadata and challenges.
func (v *Verifier) Algorithms() []jose.SignatureAlgorithm { return slices.Clone(v.algs) }

// Request is what a proof must match.
type Request struct {
	// Method is the request's HTTP method (htm).
	Method string
	// URL is the request's URL as the client addressed it (htu); its query
	// and fragment are ignored.
	URL string
	// AccessToken, when set, is the access token the proof goes with; the
	// proof must then carry its ath (RFC 9449 §4.3, §7.1).
	AccessToken string
}

// Proof is a verified proof.
type Proof struct {
	// JKT is the JWK SHA-256 thumbprint of the proof's key (RFC 7638),
	// base64url: the value of cnf.jkt (RFC 9449 §6.1).
	JKT string
	// IssuedAt is the proof's iat.
	IssuedAt time.Time

	// replayKey is the store key of the proof's jti.
	replayKey string
}

// claims are the proof claims of RFC 9449 §4.2.
type claims struct {
	JTI   string          `json:"jti"`
	HTM   string          `json:"htm"`
	HTU   string          `json:"htu"`
	IAT   json.RawMessage `json:"iat"`
	ATH   string          `json:"ath"`
	Nonce *string         `json:"nonce"`
}

// Verify checks proof against req as RFC 9449 §4.3 lists, then records its
// jti ([Verifier.Check], then [Verifier.Use]). A refused proof gives an
// [*Error]; a failure of the replay store is returned as is and must deny
// the request.
func (v *Verifier) Verify(ctx context.Context, proof string, req Request) (Proof, error) {
	p, err := v.Check(proof, req)
	if err != nil {
		return Proof{}, err
	}
	if err := v.Use(ctx, p); err != nil {
		return Proof{}, err
	}
	return p, nil
}

// Use records the jti of a checked proof, so that it is accepted once
// (RFC 9449 §11.1): for as long as its iat lets it be accepted, in the
// replay store, which instances may share. A jti seen before, or one the
// store finds already past that time, gives an [*Error]; a store failure
// is returned as is. A caller that has more to
// check (the access token the proof goes with) may call it last, so that
// only requests that pass everything reach the store.
func (v *Verifier) Use(ctx context.Context, p Proof) error {
	switch err := v.replay.UseOnce(ctx, p.replayKey, p.IssuedAt.Add(v.window+time.Second)); {
	case errors.Is(err, store.ErrReused):
		return invalid("DPoP proof jti was used before")
	// A proof whose iat is at the edge of the window, by a store clock
	// slightly ahead of ours (store/doc.go allows it), is refused as too
	// old, not failed as the store's fault.
	case errors.Is(err, store.ErrExpired):
		return invalid("DPoP proof iat is too old")
	case err != nil:
		return fmt.Errorf("dpop: recording jti: %w", err)
	}
	return nil
}

// Check checks proof against req as RFC 9449 §4.3 lists, all but the
// single use of its jti, which [Verifier.Use] records. It touches no store.
// A refused proof gives an [*Error].
func (v *Verifier) Check(proof string, req Request) (Proof, error) {
	if proof == "" {
		return Proof{}, invalid("missing DPoP proof")
	}
	if len(proof) > MaxProofLength {
		return Proof{}, invalid("DPoP proof too long")
	}
	jws, err := jose.ParseSignedCompact(proof, v.algs)
	if err != nil || len(jws.Signatures) != 1 {
		return Proof{}, invalid("DPoP proof is not a JWS with an accepted algorithm")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return Proof{}, invalid(`DPoP proof typ is not "dpop+jwt"`)
	}
	key := h.JSONWebKey
	if key == nil || !key.Valid() || !key.IsPublic() {
		return Proof{}, invalid("DPoP proof jwk is not a public key")
	}
	alg := jose.SignatureAlgorithm(h.Algorithm)
	if !policy.KeyFits(key.Key, alg) {
		return Proof{}, invalid("DPoP proof jwk does not fit its alg")
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return Proof{}, invalid("DPoP proof signature does not verify")
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Proof{}, invalid("DPoP proof claims are malformed")
	}
	now := v.now()
	if e := v.checkClaims(c, req, now); e != nil {
		return Proof{}, e
	}
	iat, _ := numericDate(c.IAT)
	issued := time.Unix(iat, 0)
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return Proof{}, invalid("DPoP proof jwk has no thumbprint")
	}
	jkt := base64.RawURLEncoding.EncodeToString(tp)
	// The jti is recorded only once the proof is known to be good (Use),
	// so that nobody can fill the store with proofs they could not sign.
	// Its key is bounded in size and scoped to the proof's key.
	sum := sha256.Sum256([]byte(jkt + "\x00" + c.JTI))
	return Proof{JKT: jkt, IssuedAt: issued, replayKey: "dpop:" + base64.RawURLEncoding.EncodeToString(sum[:])}, nil
}

// checkClaims checks the claims of a proof whose signature verified.
func (v *Verifier) checkClaims(c claims, req Request, now time.Time) *Error {
	if c.JTI == "" || len(c.JTI) > maxJTILength {
		return invalid("DPoP proof jti is missing or too long")
	}
	if c.HTM != req.Method {
		return invalid("DPoP proof htm does not match the request")
	}
	if !SameURI(c.HTU, req.URL) {
		return invalid("DPoP proof htu does not match the request")
	}
	iat, ok := numericDate(c.IAT)
	if !ok {
		return invalid("DPoP proof iat is missing or not a NumericDate")
	}
	w := int64(v.window / time.Second)
	switch d := now.Unix() - iat; {
	case d > w:
		return invalid("DPoP proof is too old")
	case d < -w:
		return invalid("DPoP proof iat is in the future")
	}
	if req.AccessToken != "" {
		want := ATH(req.AccessToken)
		if c.ATH == "" {
			return invalid("DPoP proof lacks ath")
		}
		if c.ATH != want {
			return invalid("DPoP proof ath does not match the access token")
		}
	}
	if v.nonceKey != nil {
		if c.Nonce == nil {
			return &Error{Code: CodeUseNonce, Description: "a DPoP nonce is required"}
		}
		switch v.checkNonce(*c.Nonce, now) {
		case nonceForged:
			return &Error{Code: CodeUseNonce, Description: "the DPoP nonce is not this server's"}
		case nonceExpired:
			return &Error{Code: CodeUseNonce, Description: "the DPoP nonce has expired"}
		}
	}
	return nil
}

// ATH returns the ath of an access token: the base64url SHA-256 of its
// ASCII value (RFC 9449 §4.2).
func ATH(accessToken string) string {
	sum := digest.SHA256(accessToken)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Thumbprint returns the JWK SHA-256 thumbprint (RFC 7638) of key,
// base64url, as cnf.jkt and dpop_jkt carry it.
func Thumbprint(key *jose.JSONWebKey) (string, error) {
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("dpop: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// IsThumbprint reports whether s has the form of a base64url SHA-256
// thumbprint, as a dpop_jkt parameter must (RFC 9449 §10).
func IsThumbprint(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(sha256.Size) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && !strings.ContainsAny(s, "=")
}

// numericDate reads an RFC 7519 §2 NumericDate, whole or fractional, as
// whole seconds; ok is false for anything else or one beyond year 9999.
func numericDate(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 || raw[0] == '"' {
		// A NumericDate is a JSON number (RFC 7519 §2), never a string.
		return 0, false
	}
	n := json.Number(raw)
	if i, err := n.Int64(); err == nil {
		return i, i >= 0 && i < 253402300800
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f >= 253402300800 {
		return 0, false
	}
	return int64(f), true
}
