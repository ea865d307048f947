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

// sentProof is the DPoP proof of a request, checked but not yet used: the
// zero value for a request without one.
type sentProof struct {
	proof dpop.Proof
	sent  bool
}

// checkProof checks the DPoP proof of a request to the endpoint at url
// (RFC 9449 §4.3), all but the single use of its jti, which touches the
// store: useProof records it. An endpoint checks the proof before it
// authenticates the client, so that a proof refused for its nonce (§8), or
// for anything else, does not use up a client assertion (RFC 7523 §3) the
// client must send again with the retry. Without Config.DPoP.Enabled the
// header is ignored.
func (s *Server) checkProof(r *http.Request, url string) (sentProof, error) {
	if s.dpop == nil {
		return sentProof{}, nil
	}
	vals := r.Header.Values("DPoP")
	switch len(vals) {
	case 0:
		return sentProof{}, nil
	case 1:
	default:
		return sentProof{}, oauthError(CodeInvalidDPoPProof, "more than one DPoP header")
	}
	p, err := s.dpop.Check(vals[0], dpop.Request{Method: r.Method, URL: url})
	if err != nil {
		return sentProof{}, proofError(err)
	}
	return sentProof{proof: p, sent: true}, nil
}

// useProof records the jti of a proof checkProof accepted, so that it is
// used once (RFC 9449 §11.1), and returns the thumbprint of its key, ""
// for a request without a proof.
func (s *Server) useProof(ctx context.Context, sp sentProof) (string, error) {
	if !sp.sent {
		return "", nil
	}
	if err := s.dpop.Use(ctx, sp.proof); err != nil {
		return "", proofError(err)
	}
	return sp.proof.JKT, nil
}

// tokenProof finishes the DPoP check of a token request by client (RFC
// 9449 §5) that checkProof began, and returns the thumbprint of the
// proof's key, "" for a request without one. A client with
// DPoPBoundAccessTokens, or any client under Config.DPoP.Required, must
// send a proof.
func (s *Server) tokenProof(ctx context.Context, sp sentProof, client store.Client) (string, error) {
	if s.dpop != nil && !sp.sent && (s.cfg.DPoP.Required || client.DPoPBoundAccessTokens) {
		return "", oauthError(CodeInvalidDPoPProof, "a DPoP proof is required")
	}
	return s.useProof(ctx, sp)
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
