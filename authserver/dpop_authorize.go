package authserver

import (
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
