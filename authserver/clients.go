package authserver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kunci/kunci/store"
)

// Client is a client registration as a host writes it: like [store.Client],
// but with the plain secret, which [Server.RegisterClient] hashes before it
// reaches the store. Field names follow RFC 7591 §2 client metadata.
type Client struct {
	// ID is the client_id. Required.
	ID string
	// Secret is the client_secret, at least 16 characters; empty for a public
	// client (RFC 6749 §2.1).
	Secret string
	// Name is the client_name shown on the consent page.
	Name string
	// RedirectURIs are the redirect_uris; required for the authorization code
	// and implicit grants.
	RedirectURIs []string
	// LoginURIs are pages to return to when sign-in is cancelled (Prakerja's
	// login_uri).
	LoginURIs []string
	// GrantTypes are the grant_types the client may use; see the Grant
	// constants. "implicit" enables response_type=token.
	GrantTypes []string
	// Scopes are the scopes the client may request.
	Scopes []string
	// AuthMethod is the token_endpoint_auth_method; empty means
	// client_secret_basic with a secret and none without.
	AuthMethod string
	// PKCEOptional lets a confidential client skip PKCE.
	PKCEOptional bool
	// AccessTokenFormat is "jwt" for RFC 9068 access tokens, empty for opaque.
	AccessTokenFormat string
	// Resources are the RFC 8707 resource indicators the client may request.
	Resources []string
}

// minSecretLen is the shortest client secret RegisterClient accepts. Secrets
// are stored as unsalted SHA-256 hashes, which is safe only for secrets that
// cannot be guessed.
const minSecretLen = 16

// RegisterClient validates c and saves it, with its secret hashed, replacing
// any client with the same ID.
func (s *Server) RegisterClient(ctx context.Context, c Client) error {
	rec, err := s.clientRecord(c)
	if err != nil {
		return err
	}
	if err := s.store.SaveClient(ctx, rec); err != nil {
		return fmt.Errorf("authserver: saving client: %w", err)
	}
	return nil
}

// clientRecord validates a registration and turns it into a store record.
func (s *Server) clientRecord(c Client) (store.Client, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("authserver: client %q: "+format, append([]any{c.ID}, args...)...))
	}
	if c.ID == "" || !vschar(c.ID) || !vschar(c.Secret) {
		bad("client_id and client_secret must be non-empty visible ASCII (RFC 6749 Appendix A)")
	}
	method := c.AuthMethod
	switch {
	case method == "" && c.Secret == "":
		method = AuthMethodNone
	case method == "":
		method = AuthMethodBasic
	}
	switch method {
	case AuthMethodNone:
		if c.Secret != "" {
			bad("a public client (auth method none) has no secret")
		}
	case AuthMethodBasic, AuthMethodPost:
		if len(c.Secret) < minSecretLen {
			bad("secret must be at least %d characters", minSecretLen)
		}
	default:
		bad("unknown token_endpoint_auth_method %q", method)
	}
	for _, g := range c.GrantTypes {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken, GrantPassword, GrantImplicit:
		case GrantClientCredentials:
			if method == AuthMethodNone {
				bad("client_credentials needs a confidential client")
			}
		default:
			bad("unknown grant type %q", g)
		}
	}
	if (slices.Contains(c.GrantTypes, GrantAuthorizationCode) || slices.Contains(c.GrantTypes, GrantImplicit)) && len(c.RedirectURIs) == 0 {
		bad("redirect_uris are required for authorization_code and implicit")
	}
	for _, u := range c.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			bad("redirect_uri %q: %v", u, err)
		}
	}
	for _, u := range c.LoginURIs {
		if err := checkRedirectURI(u); err != nil {
			bad("login_uri %q: %v", u, err)
		}
	}
	for _, sc := range c.Scopes {
		if _, ok := s.scopes[sc]; !ok {
			bad("scope %q is not in Config.Scopes", sc)
		}
	}
	switch {
	case c.AccessTokenFormat != "" && c.AccessTokenFormat != "jwt":
		bad("access token format must be empty or \"jwt\"")
	case c.AccessTokenFormat == "jwt" && s.keys == nil:
		bad("JWT access tokens need Config.SigningKeys")
	}
	for _, r := range c.Resources {
		if err := checkResource(r); err != nil {
			bad("resource %q: %v", r, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return store.Client{}, err
	}
	rec := store.Client{
		ID:                c.ID,
		Name:              c.Name,
		RedirectURIs:      slices.Clone(c.RedirectURIs),
		LoginURIs:         slices.Clone(c.LoginURIs),
		GrantTypes:        slices.Clone(c.GrantTypes),
		Scopes:            slices.Clone(c.Scopes),
		AuthMethod:        method,
		PKCEOptional:      c.PKCEOptional,
		AccessTokenFormat: c.AccessTokenFormat,
		Resources:         slices.Clone(c.Resources),
		CreatedAt:         time.Now(),
	}
	if c.Secret != "" {
		rec.SecretHash = HashSecret(c.Secret)
	}
	return rec, nil
}

// checkRedirectURI enforces RFC 6749 §3.1.2: an absolute URI without a
// fragment. Schemes that run code in the browser are refused.
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URI")
	}
	if !u.IsAbs() {
		return errors.New("must be absolute")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not have a fragment")
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "file":
		return fmt.Errorf("scheme %q is not allowed", u.Scheme)
	case "http", "https":
		if u.Host == "" {
			return errors.New("must have a host")
		}
	}
	return nil
}

// checkResource enforces RFC 8707 §2: an absolute URI without a fragment.
func checkResource(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must be an absolute URI without fragment")
	}
	return nil
}
