package authserver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/url"
	"strings"

	"github.com/kunci/kunci/store"
)

// SubjectType is a client's subject_type (OpenID Connect Core §8,
// Registration §2): how the sub of its ID Tokens and UserInfo responses
// is formed.
type SubjectType string

const (
	// SubjectPublic gives every client the host's own subject, the same
	// value for the same user everywhere. The zero value means it.
	SubjectPublic SubjectType = "public"
	// SubjectPairwise gives the client a sub derived from the host's
	// subject and the client's sector (Core §8.1) in its ID Tokens and
	// UserInfo responses, so that clients of different sectors cannot
	// match their users by sub. It needs Config.OpenID.PairwiseKey.
	// Access tokens keep the host's subject for the host's resource
	// servers, so a client that reads its own JWT access tokens, or
	// introspects its own tokens, sees the host's subject: give pairwise
	// clients opaque access tokens and keep introspection to resource
	// servers (Hooks.CanIntrospect) when that matters.
	SubjectPairwise SubjectType = "pairwise"
)

// minPairwiseKeyLen is the shortest OpenID.PairwiseKey New accepts.
const minPairwiseKeyLen = 32

// errNoPairwiseKey is the cause of a server_error for a pairwise client
// record when the server has no PairwiseKey: RegisterClient refuses such
// a client, but a record stored by other means can still name one.
var errNoPairwiseKey = errors.New("authserver: the client's subject_type is pairwise but Config.OpenID.PairwiseKey is not set")

// pairwiseSubject derives the pairwise sub of local for sector (OpenID
// Connect Core §8.1): HMAC-SHA-256 under key of the sector, a NUL and the
// local subject, base64url without padding (43 characters). A host name
// holds no NUL, so the input is unambiguous. The same user and sector
// always give the same value; without the key it cannot be computed, and
// it cannot be reversed, so a pairwise sub is checked by deriving it again
// for the user it should name (pairwiseNames).
func pairwiseSubject(key []byte, sector, local string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(sector))
	mac.Write([]byte{0})
	mac.Write([]byte(local))
	return b64.EncodeToString(mac.Sum(nil))
}

// clientSubject returns the sub that client c knows the local subject by
// (Core §8): the local subject for a public client, the pairwise value of
// c's sector for a pairwise one. Only ID Tokens and UserInfo responses
// carry it; access tokens, introspection and the middleware keep the
// local subject, for the host's own resource servers.
func (s *Server) clientSubject(c store.Client, local string) (string, error) {
	if SubjectType(c.SubjectType) != SubjectPairwise {
		return local, nil
	}
	if len(s.cfg.OpenID.PairwiseKey) == 0 {
		return "", errNoPairwiseKey
	}
	return pairwiseSubject(s.cfg.OpenID.PairwiseKey, clientSector(c), local), nil
}

// subjectNames reports whether sub, a subject client c sent back (the sub
// of an id_token_hint), names the local subject local: equal to what
// clientSubject gives c for local. A pairwise sub cannot be mapped back,
// so the value of local is derived and compared.
func (s *Server) subjectNames(c store.Client, sub, local string) bool {
	want, err := s.clientSubject(c, local)
	return err == nil && local != "" && hmac.Equal([]byte(want), []byte(sub))
}

// subjectMatcher returns subjectNames for client c, as fitSession asks it.
func (s *Server) subjectMatcher(c store.Client) func(sub, local string) bool {
	return func(sub, local string) bool { return s.subjectNames(c, sub, local) }
}

// clientSector returns the sector identifier of a pairwise client (Core
// §8.1): its SectorIdentifier, else the host of its redirect URIs, which
// RegisterClient requires to be one.
func clientSector(c store.Client) string {
	if c.SectorIdentifier != "" {
		return c.SectorIdentifier
	}
	if len(c.RedirectURIs) == 0 {
		return ""
	}
	return sectorHost(c.RedirectURIs[0])
}

// sectorHost returns the host of a redirect URI without port, in lower
// case, as a sector compares it; empty when it has none.
func sectorHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// checkClientSubject checks the subject_type and sector of a registration
// (Core §8.1, Registration §2).
func (s *Server) checkClientSubject(p *problems, c Client) {
	switch c.SubjectType {
	case "", SubjectPublic:
		if c.SectorIdentifier != "" {
			p.add("SectorIdentifier", "is set but SubjectType is not pairwise")
		}
		return
	case SubjectPairwise:
	default:
		p.add("SubjectType", "must be public or pairwise, not %q", c.SubjectType)
		return
	}
	switch {
	case !s.cfg.OpenID.Enabled:
		p.add("SubjectType", "pairwise is set but OpenID Connect is off (Config.OpenID.Enabled)")
		return
	case len(s.cfg.OpenID.PairwiseKey) == 0:
		p.add("SubjectType", "pairwise needs Config.OpenID.PairwiseKey")
	}
	if c.SectorIdentifier != "" {
		if !validSectorHost(c.SectorIdentifier) {
			p.add("SectorIdentifier", "%q must be a host name in lower case, without scheme, port or path", c.SectorIdentifier)
		}
		return
	}
	hosts := map[string]bool{}
	shared := false
	for _, u := range c.RedirectURIs {
		h := sectorHost(u)
		hosts[h] = true
		shared = shared || h == "" || isLoopbackHost(h)
	}
	switch {
	case shared:
		// Every native app on a loopback or private-use-scheme URI would
		// share one sector, and so one sub per user.
		p.add("SectorIdentifier", "is required for a pairwise client with a loopback or host-less redirect URI: such URIs name no sector of the client's own (OpenID Connect Core §8.1)")
	case len(hosts) == 0:
		p.add("SectorIdentifier", "is required for a pairwise client without redirect URIs: there is no host to derive sub for (OpenID Connect Core §8.1)")
	case len(hosts) > 1:
		p.add("SectorIdentifier", "is required for a pairwise client whose redirect URIs span several hosts (OpenID Connect Core §8.1)")
	}
}

// validSectorHost reports whether h is a host name as a sector names it:
// lower-case letters, digits, dots and hyphens, at most 253 characters.
func validSectorHost(h string) bool {
	if h == "" || len(h) > 253 || h[0] == '.' || h[len(h)-1] == '.' {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// userInfoSubject returns the sub of a UserInfo response for a token of
// info (Core §5.3.2): the one the token's client knows the user by.
func (s *Server) userInfoSubject(ctx context.Context, info TokenInfo) (string, *Error) {
	c, err := s.store.Client(ctx, info.ClientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", serverError(errors.New("authserver: the token's client is not registered"))
	case err != nil:
		return "", unavailable(err)
	}
	sub, err := s.clientSubject(c, info.Subject)
	if err != nil {
		return "", serverError(err)
	}
	return sub, nil
}
