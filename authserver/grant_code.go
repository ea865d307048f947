package authserver

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kunci/kunci/store"
)

// grantCode exchanges an authorization code (RFC 6749 §4.1.3).
//
// The code is read and checked before it is spent: a request by another
// client, or with the wrong redirect_uri or PKCE verifier, is refused and
// leaves the code as it was, so that whoever fails those checks can neither
// burn the code for the client it was issued to nor revoke its grant (as
// oidc-provider and fosite do). Consuming the code is then the single-use
// gate, before anything is minted: of concurrent redemptions exactly one
// proceeds, and after a later failure the code stays spent. A used code
// presented again by its own client, passing every check, is a replay: it
// is refused and its grant, with every token issued from it, is revoked
// (§4.1.2).
//
// A scope parameter, which Apigee's guide allows here, may narrow the access
// token to part of what the user approved; the grant, and so its refresh
// token, keeps all of it.
//
// The code of an OpenID Connect request exchanges for an ID Token too
// (OpenID Connect Core §3.1.3.3, see signIDToken), and for a refresh token
// only as offline_access decides (see refreshes).
func (s *Server) grantCode(ctx context.Context, client store.Client, f form, requested, resources []string, jkt string) (IssuedToken, error) {
	code := f.get("code")
	if code == "" {
		return IssuedToken{}, oauthError(CodeInvalidRequest, "missing code")
	}
	grantID, ok := tokenGrant(code, prefixCode)
	if !ok {
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid code")
	}
	hash := hashToken(code)
	rec, err := s.store.Code(ctx, grantID, hash)
	used := errors.Is(err, store.ErrReused)
	switch {
	case used:
	case errors.Is(err, store.ErrNotFound):
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid code")
	case err != nil:
		return IssuedToken{}, unavailable(err)
	}
	if e := checkCode(rec, client, f); e != nil {
		return IssuedToken{}, e
	}
	if used {
		return IssuedToken{}, s.codeReplayed(ctx, rec)
	}
	g, err := s.store.Grant(ctx, grantID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid code")
	case err != nil:
		return IssuedToken{}, unavailable(err)
	}
	// A code bound with dpop_jkt needs a proof by that key (RFC 9449 §10);
	// a refusal leaves the code unspent, as the checks above do.
	if e := proofKeyIs(g.JKT, jkt); e != nil {
		return IssuedToken{}, e
	}
	audience, e := narrowResources(resources, g.Audience)
	if e != nil {
		return IssuedToken{}, e
	}
	scopes := g.Scopes
	if len(requested) > 0 {
		if !subset(requested, g.Scopes) {
			return IssuedToken{}, oauthError(CodeInvalidScope, "scope exceeds what was approved")
		}
		scopes = requested
	}
	_, err = s.store.ConsumeCode(ctx, grantID, hash)
	switch {
	case errors.Is(err, store.ErrReused):
		// A concurrent redemption that passed the same checks won.
		return IssuedToken{}, s.codeReplayed(ctx, rec)
	case errors.Is(err, store.ErrNotFound):
		return IssuedToken{}, oauthError(CodeInvalidGrant, "invalid code")
	case err != nil:
		return IssuedToken{}, unavailable(err)
	}
	return s.mint(ctx, issueRequest{
		client:    client,
		grantType: GrantAuthorizationCode,
		grant:     g,
		scopes:    scopes,
		audience:  audience,
		refresh:   s.refreshes(client, g.Scopes) && !unboundPublicRefresh(client, g, jkt),
		now:       time.Now(),
		jkt:       jkt,
	})
}

// checkCode checks that the code rec may be redeemed by client with the
// request f: it was issued to client, redirect_uri repeats the
// authorization request's, and code_verifier matches the challenge
// (RFC 6749 §4.1.3, RFC 7636 §4.6).
func checkCode(rec store.AuthCode, client store.Client, f form) *Error {
	if rec.ClientID != client.ID {
		return oauthError(CodeInvalidGrant, "invalid code")
	}
	// redirect_uri must repeat the one of the authorization request when that
	// request had one (§4.1.3); otherwise it may name a registered URI.
	redirect := f.get("redirect_uri")
	switch {
	case rec.RedirectURI != "" && redirect != rec.RedirectURI:
		return oauthError(CodeInvalidGrant, "redirect_uri does not match the authorization request")
	case rec.RedirectURI == "" && redirect != "" && !slices.Contains(client.RedirectURIs, redirect):
		return oauthError(CodeInvalidGrant, "redirect_uri does not match the authorization request")
	}
	verifier := f.get("code_verifier")
	switch {
	case rec.CodeChallenge != "" && !verifyPKCE(verifier, rec.CodeChallenge, PKCEMethod(rec.CodeChallengeMethod)):
		return oauthError(CodeInvalidGrant, "code_verifier does not match the challenge")
	case rec.CodeChallenge == "" && verifier != "":
		// A verifier for a code issued without a challenge signals a PKCE
		// downgrade (RFC 9700 §2.1.1).
		return oauthError(CodeInvalidGrant, "code was issued without a challenge")
	}
	return nil
}

// codeReplayed revokes the grant of a code redeemed a second time and
// refuses the request (RFC 6749 §4.1.2).
func (s *Server) codeReplayed(ctx context.Context, rec store.AuthCode) error {
	if err := s.revokeGrant(ctx, rec.GrantID, rec.ClientID, EventReuseDetected); err != nil {
		return err
	}
	return oauthError(CodeInvalidGrant, "invalid code")
}
