package authserver

import (
	"context"
	"net/http"
	"net/url"

	"github.com/kunci/kunci/internal/dpop"
	"github.com/kunci/kunci/store"
)

// checkDPoPJKT reads the dpop_jkt parameter of an authorization request
// (RFC 9449 §10) into req: the thumbprint of the key the code must be
// redeemed with. Without Config.DPoP.Enabled it is ignored; a value that is
// no base64url SHA-256 thumbprint is invalid_request.
func (s *Server) checkDPoPJKT(params url.Values, req *store.AuthRequest) *Error {
	jkt := params.Get("dpop_jkt")
	if s.dpop == nil || jkt == "" {
		return nil
	}
	if !dpop.IsThumbprint(jkt) {
		return oauthError(CodeInvalidRequest, "malformed dpop_jkt")
	}
	req.JKT = jkt
	return nil
}

// pushProof checks a DPoP proof sent with a pushed authorization request
// (RFC 9449 §10.1): its key binds the code as dpop_jkt would, and a
// dpop_jkt naming another key is invalid_dpop_proof. The htu is the
// pushed authorization request endpoint. Without Config.DPoP.Enabled the
// header is ignored, as at the token endpoint.
func (s *Server) pushProof(ctx context.Context, r *http.Request, req *store.AuthRequest) error {
	if s.dpop == nil {
		return nil
	}
	vals := r.Header.Values("DPoP")
	switch len(vals) {
	case 0:
		return nil
	case 1:
	default:
		return oauthError(CodeInvalidDPoPProof, "more than one DPoP header")
	}
	p, err := s.dpop.Verify(ctx, vals[0], dpop.Request{Method: r.Method, URL: s.endpoint(s.cfg.Paths.PushedAuthorization)})
	if err != nil {
		return proofError(err)
	}
	if req.JKT != "" && req.JKT != p.JKT {
		return oauthError(CodeInvalidDPoPProof, "dpop_jkt names another key than the DPoP proof (RFC 9449, section 10.1)")
	}
	req.JKT = p.JKT
	return nil
}
