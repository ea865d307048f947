package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/internal/dpop"
	"github.com/kunci/kunci/store"
)

// Error codes of RFC 9449 §7.1 and §9, sent in the error attribute of a
// WWW-Authenticate: DPoP challenge.
const (
	// CodeInvalidDPoPProof: the DPoP proof is missing, malformed, or does
	// not match the request or the access token. 401.
	CodeInvalidDPoPProof = dpop.CodeInvalidProof
	// CodeUseDPoPNonce: the proof lacks the resource server's current
	// nonce, which the DPoP-Nonce response header carries. 401.
	CodeUseDPoPNonce = dpop.CodeUseNonce
)

// DPoPOptions turns on DPoP-bound access tokens at [Authenticate] (RFC 9449
// §7): requests with Authorization: DPoP <token> and a DPoP proof header
// whose key is the one the token is bound to ([TokenInfo.JKT]).
type DPoPOptions struct {
	// ExternalURL is the URL of the resource as clients address it, up to
	// the path the middleware sees: a proof's htu must be ExternalURL
	// followed by the request's URL path (query and fragment ignored, RFC
	// 9449 §4.3). For a handler behind http.StripPrefix("/api", ...) on
	// https://api.example.com it is "https://api.example.com/api"; behind
	// a proxy, the proxy's public origin and prefix. The request's Host
	// and scheme are never used. Required: an absolute http or https URL
	// without query or fragment.
	ExternalURL string
	// ExactURL makes the htu ExternalURL itself whatever the request path:
	// for a resource served at one URL, such as a UserInfo endpoint.
	ExactURL bool
	// Replay remembers the jti of each proof until its iat leaves the
	// window, so a proof is accepted once (RFC 9449 §11.1); instances that
	// share it share the check. Required.
	Replay store.ReplayStore
	// Required refuses bearer tokens: only DPoP-bound tokens with a proof
	// are accepted, and the challenge offers only DPoP.
	Required bool
	// Algorithms lists the JWS algorithms a proof may use, sent in the
	// challenge's algs attribute. Nil means ES256, ES384, ES512, EdDSA,
	// RS256 and PS256; only asymmetric algorithms are allowed.
	Algorithms []jose.SignatureAlgorithm
	// Window is how far a proof's iat may lie from now. Zero means one
	// minute; negative or above ten minutes is an error.
	Window time.Duration
	// NonceKey, when set, makes proofs carry the resource server's nonce
	// (RFC 9449 §9): an HMAC over a time slot with this key (at least 32
	// bytes), so instances sharing the key accept each other's nonces.
	NonceKey []byte
	// NonceLifetime is how long one nonce is handed out; it is accepted
	// for twice that. Zero means five minutes.
	NonceLifetime time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// dpopCheck is the DPoP side of one Authenticate.
type dpopCheck struct {
	verifier *dpop.Verifier
	base     string
	exact    bool
	required bool
}

// newDPoPCheck validates o.
func newDPoPCheck(o *DPoPOptions) (*dpopCheck, error) {
	if o == nil {
		return nil, nil
	}
	u, err := url.Parse(o.ExternalURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("middleware: DPoP.ExternalURL must be an absolute http or https URL without query or fragment")
	}
	if o.Replay == nil {
		return nil, errors.New("middleware: DPoP.Replay is required")
	}
	v, err := dpop.New(dpop.Config{
		Algorithms: o.Algorithms, Window: o.Window, Replay: o.Replay,
		NonceKey: o.NonceKey, NonceSlot: o.NonceLifetime, Now: o.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("middleware: DPoP: %w", err)
	}
	return &dpopCheck{verifier: v, base: strings.TrimSuffix(o.ExternalURL, "/"), exact: o.ExactURL, required: o.Required}, nil
}

// algs is the algs attribute of the challenge.
func (d *dpopCheck) algs() string {
	var b strings.Builder
	for i, a := range d.verifier.Algorithms() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(a))
	}
	return b.String()
}

// htu returns the URL a proof for r must name.
func (d *dpopCheck) htu(r *http.Request) string {
	if d.exact {
		return d.base
	}
	path := r.URL.EscapedPath()
	if !strings.HasPrefix(path, "/") {
		// http.StripPrefix("/api/") leaves "me" of "/api/me": join with
		// exactly one slash.
		path = "/" + path
	}
	return d.base + path
}

// proof checks the DPoP proof of r, which presents token with the DPoP
// scheme, all but the single use of its jti (use records that).
func (d *dpopCheck) proof(r *http.Request, token string) (dpop.Proof, *Error) {
	vals := r.Header.Values("DPoP")
	if len(vals) != 1 {
		return dpop.Proof{}, &Error{Status: http.StatusUnauthorized, Code: CodeInvalidDPoPProof, Description: "exactly one DPoP proof header is required", DPoP: true}
	}
	p, err := d.verifier.Check(vals[0], dpop.Request{Method: r.Method, URL: d.htu(r), AccessToken: token})
	if err != nil {
		return dpop.Proof{}, d.refusal(err)
	}
	return p, nil
}

// use records the jti of proof p, whose token has been verified and found
// bound to its key: only requests that pass every other check reach the
// replay store.
func (d *dpopCheck) use(r *http.Request, p dpop.Proof) *Error {
	if err := d.verifier.Use(r.Context(), p); err != nil {
		return d.refusal(err)
	}
	return nil
}

// refusal maps an error of the proof verifier: a refused proof to 401 with
// its RFC 9449 code (and, for use_dpop_nonce, the current nonce), anything
// else to 503.
func (d *dpopCheck) refusal(err error) *Error {
	var pe *dpop.Error
	if errors.As(err, &pe) {
		e := &Error{Status: http.StatusUnauthorized, Code: pe.Code, Description: pe.Description, DPoP: true}
		if pe.Code == dpop.CodeUseNonce {
			e.Nonce = d.verifier.Nonce()
		}
		return e
	}
	return &Error{Status: http.StatusServiceUnavailable, Err: err}
}

// checkBinding checks that a verified token is presented as its binding
// says (RFC 9449 §7): a DPoP-bound token only with the DPoP scheme and a
// proof by its key, whose thumbprint is jkt; a bearer token never with the
// DPoP scheme.
func checkBinding(info TokenInfo, isDPoP bool, jkt string) *Error {
	switch {
	case !isDPoP && info.JKT != "":
		return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Description: "a DPoP-bound token needs the DPoP scheme"}
	case isDPoP && info.JKT == "":
		return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Description: "the token is not DPoP-bound", DPoP: true}
	case isDPoP && info.JKT != jkt:
		return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Description: "the DPoP proof is made with another key than the token's", DPoP: true}
	}
	return nil
}
