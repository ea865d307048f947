package authserver

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/kunci/kunci/internal/dpop"
	"github.com/kunci/kunci/store"
)

// The error codes of RFC 9449 §12.2.
const (
	// CodeInvalidDPoPProof: the DPoP proof is missing where one is
	// required, invalid, or made with a key other than the one the code or
	// refresh token is bound to (RFC 9449 §5, §10). 400 at the token
	// endpoint.
	CodeInvalidDPoPProof ErrorCode = dpop.CodeInvalidProof
	// CodeUseDPoPNonce: the proof lacks the server's current nonce, which
	// the DPoP-Nonce response header carries (RFC 9449 §8). 400.
	CodeUseDPoPNonce ErrorCode = dpop.CodeUseNonce
)

// tokenProof checks the DPoP proof of a token request by client (RFC 9449
// §5) and returns the thumbprint of its key, "" for a request without one.
// Without Config.DPoP.Enabled the header is ignored. A client with
// DPoPBoundAccessTokens, or any client under Config.DPoP.Required, must
// send a proof.
func (s *Server) tokenProof(ctx context.Context, r *http.Request, client store.Client) (string, error) {
	if s.dpop == nil {
		return "", nil
	}
	vals := r.Header.Values("DPoP")
	switch len(vals) {
	case 0:
		if s.cfg.DPoP.Required || client.DPoPBoundAccessTokens {
			return "", oauthError(CodeInvalidDPoPProof, "a DPoP proof is required")
		}
		return "", nil
	case 1:
	default:
		return "", oauthError(CodeInvalidDPoPProof, "more than one DPoP header")
	}
	p, err := s.dpop.Verify(ctx, vals[0], dpop.Request{Method: r.Method, URL: s.tokenURL(r)})
	if err != nil {
		return "", proofError(err)
	}
	return p.JKT, nil
}

// tokenURL is the htu of a token request: the token endpoint as metadata
// advertises it, or the refresh alias of Config.Compat.RefreshAliases the
// request came to.
func (s *Server) tokenURL(r *http.Request) string {
	if slices.Contains(s.cfg.Compat.RefreshAliases, r.URL.Path) {
		return s.endpoint(r.URL.Path)
	}
	return s.endpoint(s.cfg.Paths.Token)
}

// proofError maps an error of the proof verifier: a refused proof to its
// RFC 9449 error code, anything else (the replay store failed) to
// temporarily_unavailable.
func proofError(err error) error {
	var e *dpop.Error
	if errors.As(err, &e) {
		return &Error{Code: ErrorCode(e.Code), Description: e.Description}
	}
	return unavailable(err)
}

// proofKeyIs checks that the proof of a token request was made with key jkt,
// the key a code or refresh token is bound to (RFC 9449 §5, §10); an
// unbound one (jkt "") takes any proof or none.
func proofKeyIs(jkt, proofJKT string) *Error {
	switch {
	case jkt == "":
		return nil
	case proofJKT == "":
		return oauthError(CodeInvalidDPoPProof, "a DPoP proof is required")
	case proofJKT != jkt:
		return oauthError(CodeInvalidDPoPProof, "the DPoP proof is made with another key")
	}
	return nil
}

// withDPoPNonce sets the current DPoP nonce on every response of h, so a
// client always has a fresh one (RFC 9449 §8.2); with nonces off it is h.
func (s *Server) withDPoPNonce(h http.Handler) http.Handler {
	if s.dpop == nil || !s.cfg.DPoP.Nonce {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("DPoP-Nonce", s.dpop.Nonce())
		h.ServeHTTP(w, r)
	})
}

// tokenType is the token_type of an access token bound to jkt: "DPoP",
// or "Bearer" for an unbound one (RFC 9449 §5).
func tokenType(jkt string) string {
	if jkt != "" {
		return "DPoP"
	}
	return "Bearer"
}

// confirmation is the cnf claim of a DPoP-bound token (RFC 9449 §6.1,
// RFC 7800 §3.1).
type confirmation struct {
	JKT string `json:"jkt"`
}

// cnfOf returns the cnf claim for jkt, nil for an unbound token.
func cnfOf(jkt string) *confirmation {
	if jkt == "" {
		return nil
	}
	return &confirmation{JKT: jkt}
}

// unboundPublicRefresh reports a code redemption by a public client with a
// DPoP proof whose grant is not bound to a key: one approved without
// dpop_jkt. A public client's refresh token must be bound to the proof's
// key (RFC 9449 §5), and a stored grant cannot take a key afterwards, so
// such a redemption gets no refresh token; a client that wants one sends
// dpop_jkt with its authorization request (§10).
func unboundPublicRefresh(client store.Client, g store.Grant, jkt string) bool {
	return client.Public() && jkt != "" && g.JKT == ""
}
