package authserver

import (
	"context"
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

// pushProof finishes the check of a DPoP proof sent with a pushed
// authorization request (RFC 9449 §10.1), which checkProof began with the
// pushed authorization request endpoint as htu: its key binds the code as
// dpop_jkt would, and a dpop_jkt naming another key is invalid_dpop_proof.
func (s *Server) pushProof(ctx context.Context, sp sentProof, req *store.AuthRequest) error {
	if !sp.sent {
		return nil
	}
	if req.JKT != "" && req.JKT != sp.proof.JKT {
		return oauthError(CodeInvalidDPoPProof, "dpop_jkt names another key than the DPoP proof (RFC 9449, section 10.1)")
	}
	jkt, err := s.useProof(ctx, sp)
	if err != nil {
		return err
	}
	req.JKT = jkt
	return nil
}
