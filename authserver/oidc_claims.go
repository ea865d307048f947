package authserver

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"

	"github.com/kunci/kunci/store"
)

// maxClaimsRequestLen bounds the claims parameter, which a pending request
// and its grant keep and every ID Token and UserInfo response reads.
const maxClaimsRequestLen = 4 << 10

// claimsRequest is the claims request parameter of an authentication
// request (OpenID Connect Core §5.5): the claims a client asks for by
// name, in the UserInfo response and in the ID Token. Other members are
// ignored, as Core §5.5 lets extensions define them. The rules kunci
// applies are in the doc of [OpenID]: claimsBeyondScopes and
// approvedClaims decide what an approval releases, requestedClaims and
// releasedValue what a token gets, and fitSession applies sub, acr and
// auth_time.
type claimsRequest struct {
	UserInfo map[string]*claimRequest `json:"userinfo,omitempty"`
	IDToken  map[string]*claimRequest `json:"id_token,omitempty"`
}

// claimRequest is how one claim is asked for (Core §5.5.1). A nil one,
// JSON null, asks for the claim in the default manner.
type claimRequest struct {
	Essential bool              `json:"essential,omitempty"`
	Value     json.RawMessage   `json:"value,omitempty"`
	Values    []json.RawMessage `json:"values,omitempty"`
}

// parseClaimsRequest validates a claims parameter and returns it with its
// normalized JSON, which the pending request keeps. Its errors are
// invalid_request (Core §3.1.2.6).
func parseClaimsRequest(raw string) (claimsRequest, []byte, *Error) {
	var c claimsRequest
	malformed := oauthError(CodeInvalidRequest, "malformed claims parameter")
	if len(raw) > maxClaimsRequestLen {
		return c, nil, oauthError(CodeInvalidRequest, "claims parameter is too long")
	}
	// Unmarshal takes null for an empty object; Core §5.5 asks for one.
	if !bytes.HasPrefix(bytes.TrimLeft([]byte(raw), " \t\r\n"), []byte("{")) {
		return c, nil, malformed
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return c, nil, malformed
	}
	for _, member := range []map[string]*claimRequest{c.UserInfo, c.IDToken} {
		for _, cr := range member {
			if cr != nil && string(cr.Value) == "null" {
				cr.Value = nil // a null value asks for no particular one
			}
		}
	}
	if e := c.checkProtocolClaims(); e != nil {
		return c, nil, e
	}
	normalized, err := json.Marshal(c)
	if err != nil {
		return c, nil, malformed
	}
	return c, normalized, nil
}

// checkProtocolClaims checks the claims whose request the server acts on
// itself: sub and acr must be asked for with strings.
func (c claimsRequest) checkProtocolClaims() *Error {
	for _, member := range []map[string]*claimRequest{c.UserInfo, c.IDToken} {
		if cr := member["sub"]; cr != nil && (cr.Values != nil || (cr.Value != nil && !isJSONString(cr.Value))) {
			return oauthError(CodeInvalidRequest, "claims parameter: sub may be asked for with one string value")
		}
		if cr := member["acr"]; cr != nil {
			for _, v := range cr.values() {
				if !isJSONString(v) {
					return oauthError(CodeInvalidRequest, "claims parameter: acr values must be strings")
				}
			}
		}
	}
	if _, e := c.subject(); e != nil {
		return e
	}
	return nil
}

// storedClaimsRequest reads the claims request a pending request or grant
// keeps. The server wrote it, so it is well formed; a record damaged by
// other means reads as no request, which releases nothing beyond scopes.
func storedClaimsRequest(raw []byte) claimsRequest {
	var c claimsRequest
	if raw != nil {
		_ = json.Unmarshal(raw, &c)
	}
	return c
}

// values returns the values cr asks for: value, or values.
func (cr *claimRequest) values() []json.RawMessage {
	switch {
	case cr == nil:
		return nil
	case cr.Value != nil:
		return []json.RawMessage{cr.Value}
	}
	return cr.Values
}

// subject returns the sub value the request names, empty when none. Naming
// two different ones is invalid_request.
func (c claimsRequest) subject() (string, *Error) {
	sub := ""
	for _, member := range []map[string]*claimRequest{c.UserInfo, c.IDToken} {
		cr := member["sub"]
		if cr == nil || cr.Value == nil {
			continue
		}
		var v string
		_ = json.Unmarshal(cr.Value, &v)
		if sub != "" && v != sub {
			return "", oauthError(CodeInvalidRequest, "claims parameter names two different sub values")
		}
		sub = v
	}
	return sub, nil
}

// essentialACR returns the ACRs of an ID Token acr asked for as essential
// with values (Core §5.5.1.1), one of which the session must have met;
// nil when there is no such demand.
func (c claimsRequest) essentialACR() []string {
	cr := c.IDToken["acr"]
	if cr == nil || !cr.Essential {
		return nil
	}
	return jsonStrings(cr.values())
}

// acrValues returns every ACR the ID Token's acr is asked for with, for
// the host's login page.
func (c claimsRequest) acrValues() []string {
	return jsonStrings(c.IDToken["acr"].values())
}

// authTimeEssential reports whether the ID Token's auth_time is asked for
// as essential (Core §5.5.1): then the session must say when the user
// authenticated.
func (c claimsRequest) authTimeEssential() bool {
	cr := c.IDToken["auth_time"]
	return cr != nil && cr.Essential
}

// userClaims returns the claims about the user that the request names in
// either member, each once and sorted, with whether any asks for it as
// essential. Protocol claims are the server's and left out.
func (c claimsRequest) userClaims() []RequestedClaim {
	essential := map[string]bool{}
	for _, member := range []map[string]*claimRequest{c.UserInfo, c.IDToken} {
		for name, cr := range member {
			if name != "" && !slices.Contains(protocolClaims, name) {
				essential[name] = essential[name] || (cr != nil && cr.Essential)
			}
		}
	}
	out := make([]RequestedClaim, 0, len(essential))
	for _, name := range slices.Sorted(maps.Keys(essential)) {
		out = append(out, RequestedClaim{Name: name, Essential: essential[name]})
	}
	return out
}

// claimsBeyondScopes returns the claims about the user that req's claims
// request names, that a scope of client's registration releases, and that
// none of the requested scopes does: what the consent page must show,
// since approving the scopes does not cover them.
func (s *Server) claimsBeyondScopes(req store.AuthRequest, client store.Client) []RequestedClaim {
	if req.Claims == nil {
		return nil
	}
	offered, requested := s.scopeClaims(client.Scopes), s.scopeClaims(req.Scopes)
	var out []RequestedClaim
	for _, rc := range storedClaimsRequest(req.Claims).userClaims() {
		if slices.Contains(offered, rc.Name) && !slices.Contains(requested, rc.Name) {
			out = append(out, rc)
		}
	}
	return out
}

// approvedClaims returns the claims request the grant of req keeps when
// the user approved scopes: the claims about the user that the approval
// does not release are left out, those it does are the ones the approved
// scopes release and those the consent page listed (claimsBeyondScopes).
func (s *Server) approvedClaims(req store.AuthRequest, client store.Client, scopes []string) []byte {
	if req.Claims == nil {
		return nil
	}
	released := s.scopeClaims(scopes)
	for _, rc := range s.claimsBeyondScopes(req, client) {
		released = append(released, rc.Name)
	}
	c := storedClaimsRequest(req.Claims)
	for _, member := range []map[string]*claimRequest{c.UserInfo, c.IDToken} {
		maps.DeleteFunc(member, func(name string, _ *claimRequest) bool {
			return !slices.Contains(protocolClaims, name) && !slices.Contains(released, name)
		})
	}
	out, err := json.Marshal(c)
	if err != nil {
		return nil
	}
	return out
}

// requestedClaims returns the claims about the user that member of a
// grant's claims request releases to a token of tokenScopes: the grant
// kept only released ones (approvedClaims), and a token whose scopes were
// narrowed (RFC 6749 §6) keeps a claim one of the grant's scopes released
// only while it keeps such a scope; a claim the consent page listed beyond
// the scopes stays released.
func (s *Server) requestedClaims(member map[string]*claimRequest, tokenScopes, grantScopes []string) []string {
	if len(member) == 0 {
		return nil
	}
	inToken, inGrant := s.scopeClaims(tokenScopes), s.scopeClaims(grantScopes)
	var names []string
	for _, name := range slices.Sorted(maps.Keys(member)) {
		if slices.Contains(protocolClaims, name) {
			continue
		}
		if slices.Contains(inToken, name) || !slices.Contains(inGrant, name) {
			names = append(names, name)
		}
	}
	return names
}

// releasedValue reports whether the host's value of a claim may be
// released under cr: always, unless cr asks for particular values, which
// it must then be one of (Core §5.5.1). Values are compared as JSON.
func releasedValue(cr *claimRequest, value any) bool {
	want := cr.values()
	if len(want) == 0 {
		return true
	}
	got, ok := canonicalJSON(value)
	if !ok {
		return false
	}
	for _, w := range want {
		if c, ok := canonicalJSON(w); ok && bytes.Equal(c, got) {
			return true
		}
	}
	return false
}

// canonicalJSON returns v as JSON in one canonical form: what
// encoding/json writes for the value the JSON of v decodes to (object
// members sorted, numbers as float64).
func canonicalJSON(v any) ([]byte, bool) {
	p, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	var back any
	if err := json.Unmarshal(p, &back); err != nil {
		return nil, false
	}
	out, err := json.Marshal(back)
	return out, err == nil
}

// isJSONString reports whether raw is a JSON string.
func isJSONString(raw json.RawMessage) bool {
	var s string
	return raw != nil && json.Unmarshal(raw, &s) == nil
}

// jsonStrings decodes JSON strings, skipping anything else.
func jsonStrings(raws []json.RawMessage) []string {
	var out []string
	for _, raw := range raws {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}
