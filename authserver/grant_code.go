package authserver

import (
	"context"
	"errors"
	"slices"

	"github.com/kunci/kunci/store"
)

// grantCode exchanges an authorization code (RFC 6749 §4.1.3).
//
// The code is consumed before anything is checked or minted: consumption is
// the single-use gate, so of concurrent redemptions exactly one proceeds, and
// a code that fails a later check stays spent. A code presented after it was
// used is refused and every token issued from it is revoked (§4.1.2).
//
// A scope parameter, which Apigee's guide allows here, may narrow the access
// token to part of what the user approved; the grant, and so its refresh
// token, keeps all of it.
func (s *Server) grantCode(ctx context.Context, client store.Client, f form, requested, resources []string) (IssuedToken, error) {
	code := f.get("code")
	if code == "" {
		return IssuedToken{}, oauthError(CodeInvalidRequest, "missing code")
	}
	if !hasPrefix(code, prefixCode) {
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid code")
	}
	rec, err := s.store.ConsumeCode(ctx, hashToken(code))
	switch {
	case errors.Is(err, store.ErrReused):
		if err := s.revokeGrant(ctx, rec.GrantID, rec.ClientID, EventReuseDetected); err != nil {
			return IssuedToken{}, err
		}
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid code")
	case errors.Is(err, store.ErrNotFound):
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid code")
	case err != nil:
		return IssuedToken{}, unavailable(err)
	}
	if rec.ClientID != client.ID {
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid code")
	}
	// redirect_uri must repeat the one of the authorization request when that
	// request had one (§4.1.3); otherwise it may name a registered URI.
	redirect := f.get("redirect_uri")
	switch {
	case rec.RedirectURI != "" && redirect != rec.RedirectURI:
		return IssuedToken{}, oauthError(CodeInvalidGrant, "redirect_uri does not match the authorization request")
	case rec.RedirectURI == "" && redirect != "" && !slices.Contains(client.RedirectURIs, redirect):
		return IssuedToken{}, oauthError(CodeInvalidGrant, "redirect_uri does not match the authorization request")
	}
	verifier := f.get("code_verifier")
	switch {
	case rec.CodeChallenge != "" && !verifyPKCE(verifier, rec.CodeChallenge, PKCEMethod(rec.CodeChallengeMethod)):
		return IssuedToken{}, oauthError(CodeInvalidGrant, "code_verifier does not match the challenge")
	case rec.CodeChallenge == "" && verifier != "":
		// A verifier for a code issued without a challenge signals a PKCE
		// downgrade (RFC 9700 §2.1.1).
		return IssuedToken{}, oauthError(CodeInvalidGrant, "code was issued without a challenge")
	}
	audience, e := narrowResources(resources, rec.Resources)
	if e != nil {
		return IssuedToken{}, e
	}
	scopes := rec.Scopes
	if len(requested) > 0 {
		if !subset(requested, rec.Scopes) {
			return IssuedToken{}, oauthError(CodeInvalidScope, "scope exceeds what was approved")
		}
		scopes = requested
	}
	return s.mint(ctx, issueRequest{
		client:      client,
		grantType:   GrantAuthorizationCode,
		subject:     rec.Subject,
		scopes:      scopes,
		grantScopes: rec.Scopes,
		audience:    audience,
		grantID:     rec.GrantID,
		authTime:    rec.AuthTime,
		refresh:     allows(client, GrantRefreshToken),
	})
}
