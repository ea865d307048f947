package authserver

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"hash"
	"slices"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/store"
)

// idTokenClaims is the payload of an ID Token (OpenID Connect Core §2).
type idTokenClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	Expiry   int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	// AuthTime is sent whenever the host's Session said when the user
	// authenticated, not only when max_age or the claims parameter asks
	// for it (Core §2 allows it always).
	AuthTime int64    `json:"auth_time,omitempty"`
	Nonce    string   `json:"nonce,omitempty"`
	ACR      string   `json:"acr,omitempty"`
	AMR      []string `json:"amr,omitempty"`
	// AuthorizedParty is the client, which Core §2 allows to be sent
	// beside an aud of the client alone.
	AuthorizedParty string `json:"azp"`
	AccessTokenHash string `json:"at_hash,omitempty"`
	// CodeHash is the c_hash of the code beside the ID Token in a hybrid
	// response (Core §3.3.2.11).
	CodeHash string `json:"c_hash,omitempty"`
	// SessionID is the host's session (Front-Channel Logout §3,
	// Back-Channel Logout §2.4), sent when the host named one.
	SessionID string `json:"sid,omitempty"`
}

// newIDTokenSigner returns a signer of ID Tokens with key k, which carries
// its algorithm: the header names the key (Core §10.1) and the type JWT,
// so that an ID Token is never taken for an at+jwt access token (RFC 9068
// §2.1).
func newIDTokenSigner(k jose.JSONWebKey) (jose.Signer, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), k.KeyID)
	return jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Algorithm), Key: k.Key}, opts)
}

// issuesIDToken reports whether the token response for req carries an ID
// Token: OpenID Connect is on, the grant comes from an authentication
// request (its scopes hold openid, which only the authorization endpoint
// grants) and the tokens come from the code exchange (Core §3.1.3.3) or a
// refresh (Core §12.2).
func (s *Server) issuesIDToken(req issueRequest) bool {
	// A refresh that narrows its scopes without openid gets none either
	// (Core §12.2 ties the refreshed ID Token to the openid scope).
	if !s.cfg.OpenID.Enabled || req.grant.Subject == "" || !slices.Contains(req.grant.Scopes, scopeOpenID) || !slices.Contains(req.scopes, scopeOpenID) {
		return false
	}
	return req.grantType == GrantAuthorizationCode || req.grantType == GrantRefreshToken
}

// idTokenAlg returns the algorithm of client's ID Tokens: its
// id_token_signed_response_alg, RS256 when it named none (OpenID Connect
// Registration §2).
func idTokenAlg(c store.Client) jose.SignatureAlgorithm {
	if c.IDTokenSignedResponseAlg == "" {
		return jose.RS256
	}
	return jose.SignatureAlgorithm(c.IDTokenSignedResponseAlg)
}

// idTokenFor says what an ID Token is issued with.
type idTokenFor struct {
	// accessToken and code are what is issued beside it, for at_hash
	// (Core §3.1.3.6, §3.2.2.10) and c_hash (Core §3.3.2.11); empty when
	// none is.
	accessToken, code string
	// nonce says the ID Token answers the authentication request, which
	// echoes its nonce (Core §2); a refreshed one does not (Core §12.2).
	nonce bool
	// scopeClaims says no access token is issued for the UserInfo
	// endpoint, so the claims of the granted scopes go into the ID Token
	// (Core §5.4: response_type id_token).
	scopeClaims bool
}

// frontChannelIDToken is what an ID Token from the authorization
// endpoint goes with: the access token and the code beside it, if any,
// and the nonce; without an access token the claims of the scopes.
func frontChannelIDToken(accessToken, code string) idTokenFor {
	return idTokenFor{accessToken: accessToken, code: code, nonce: true, scopeClaims: accessToken == "" && code == ""}
}

// signIDToken returns the ID Token that goes with accessToken, issued for
// req at the token endpoint (Core §3.1.3.6): the nonce of the
// authentication request is echoed at the code exchange only, since Core
// §12.2 says a refreshed ID Token should not carry it.
func (s *Server) signIDToken(ctx context.Context, req issueRequest, accessToken string) (string, error) {
	return s.signIDTokenFor(ctx, req, idTokenFor{accessToken: accessToken, nonce: req.grantType == GrantAuthorizationCode})
}

// signIDTokenFor returns the ID Token for req and what it is issued with
// (Core §2, §3.1.3.6, §3.2.2.10, §3.3.2.11). Every ID Token of a grant has
// the grant's subject, auth_time, acr, amr and sid. The claims about the
// user that the grant's claims request asks for in the ID Token (Core
// §5.5), and with f.scopeClaims those of its scopes, come from the host's
// OpenID.Claims, as released to the token's scopes (requestedClaims).
func (s *Server) signIDTokenFor(ctx context.Context, req issueRequest, f idTokenFor) (string, error) {
	alg := idTokenAlg(req.client)
	signer, ok := s.keys.idTokenSigners[alg]
	if !ok {
		// RegisterClient refuses such a client; a record stored by other
		// means, or keys changed since, can still name one.
		return "", fmt.Errorf("no signing key for the client's id_token_signed_response_alg %q", alg)
	}
	g := req.grant
	sub, err := s.clientSubject(req.client, g.Subject)
	if err != nil {
		return "", err
	}
	c := idTokenClaims{
		Issuer:          s.cfg.Issuer,
		Subject:         sub,
		Audience:        req.client.ID,
		Expiry:          req.now.Add(s.cfg.Lifetimes.IDToken).Unix(),
		IssuedAt:        req.now.Unix(),
		ACR:             g.ACR,
		AMR:             g.AMR,
		AuthorizedParty: req.client.ID,
		SessionID:       g.SessionID,
	}
	if f.accessToken != "" {
		if c.AccessTokenHash, err = tokenHash(alg, f.accessToken); err != nil {
			return "", err
		}
	}
	if f.code != "" {
		if c.CodeHash, err = tokenHash(alg, f.code); err != nil {
			return "", err
		}
	}
	if !g.AuthTime.IsZero() {
		c.AuthTime = g.AuthTime.Unix()
	}
	if f.nonce {
		c.Nonce = g.Nonce
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	user, err := s.idTokenUserClaims(ctx, req, f.scopeClaims)
	if err != nil {
		return "", err
	}
	if len(user) > 0 {
		more, err := json.Marshal(user)
		if err != nil {
			return "", fmt.Errorf("OpenID.Claims: a value does not marshal: %w", err)
		}
		payload = append(append(payload[:len(payload)-1], ','), more[1:]...)
	}
	sig, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return sig.CompactSerialize()
}

// idTokenUserClaims returns the claims about the user that the ID Token
// for req carries: those of the id_token member of the grant's claims
// request that the token's scopes release and the host has values for
// (Core §5.5), and with scopes those the token's scopes release (Core
// §5.4). None without either, and then the host is not asked.
func (s *Server) idTokenUserClaims(ctx context.Context, req issueRequest, scopes bool) (map[string]any, error) {
	requests := storedClaimsRequest(req.grant.Claims).IDToken
	names := s.requestedClaims(requests, req.scopes, req.grant.Scopes)
	if scopes {
		for _, name := range s.scopeClaims(req.scopes) {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	values, err := s.hostClaims(ctx, req.grant.Subject, names, requests)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(names))
	for _, name := range names {
		if v, ok := values.get(name); ok {
			out[name] = v
		}
	}
	return out, nil
}

// hostClaims asks the host's OpenID.Claims for the claims names of
// subject. Only the values its get releases may be sent.
func (s *Server) hostClaims(ctx context.Context, subject string, names []string, requests map[string]*claimRequest) (hostValues, error) {
	got, err := s.cfg.OpenID.Claims(ctx, subject, names)
	if err != nil {
		return hostValues{}, fmt.Errorf("OpenID.Claims: %w", err)
	}
	return hostValues{got: got, requests: requests}, nil
}

// hostValues are the claims the host gave for a request, and the claims
// request (Core §5.5) they answer; the host's map is read, never changed.
type hostValues struct {
	got      map[string]any
	requests map[string]*claimRequest
}

// get returns the host's value of the claim name when it may be released:
// the host has one, and a claims request for name accepts it
// (releasedValue). The caller asks only for names it asked the host for.
func (h hostValues) get(name string) (any, bool) {
	v, ok := h.got[name]
	if !ok || !releasedValue(h.requests[name], v) {
		return nil, false
	}
	return v, true
}

// tokenHash returns the at_hash (Core §3.1.3.6) or c_hash (Core §3.3.2.11)
// of value for an ID Token signed with alg: the base64url encoding of the
// left half of its hash, with the hash function of alg (SHA-256 for the
// *256 algorithms, SHA-384 for *384, SHA-512 for *512 and for EdDSA, whose
// Ed25519 uses SHA-512).
func tokenHash(alg jose.SignatureAlgorithm, value string) (string, error) {
	var h hash.Hash
	switch alg {
	case jose.RS256, jose.PS256, jose.ES256:
		h = sha256.New()
	case jose.RS384, jose.PS384, jose.ES384:
		h = sha512.New384()
	case jose.RS512, jose.PS512, jose.ES512, jose.EdDSA:
		h = sha512.New()
	default:
		return "", fmt.Errorf("no token hash for algorithm %q", alg)
	}
	h.Write([]byte(value))
	sum := h.Sum(nil)
	return b64.EncodeToString(sum[:len(sum)/2]), nil
}
