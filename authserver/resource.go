package authserver

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/kunci/kunci/internal/policy"
	"github.com/kunci/kunci/store"
)

// checkResource enforces RFC 8707 §2: an absolute URI without a fragment.
// A space is refused before parsing: no URI has one (RFC 3986 §2), and
// url.Parse would escape it.
func checkResource(raw string) error {
	if strings.Contains(raw, " ") {
		return errors.New("must be an absolute URI without fragment")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must be an absolute URI without fragment")
	}
	return nil
}

// uniqueResources drops repeated resource indicators and refuses requests
// that name more than policy.MaxResources, duplicates included (RFC 8707
// §2), before any other work.
func uniqueResources(resources []string) ([]string, *Error) {
	out, ok := policy.Unique(resources, policy.MaxResources)
	if !ok {
		return nil, oauthError(CodeInvalidTarget, "too many resources")
	}
	return out, nil
}

// checkResources validates RFC 8707 resource indicators against what the
// client registered.
func (s *Server) checkResources(client store.Client, resources []string) ([]string, *Error) {
	resources, e := uniqueResources(resources)
	if e != nil {
		return nil, e
	}
	for _, res := range resources {
		if checkResource(res) != nil || !slices.Contains(client.Resources, res) {
			return nil, oauthError(CodeInvalidTarget, "resource not allowed")
		}
	}
	return resources, nil
}

// narrowResources applies RFC 8707 §2.2 at the token endpoint: requested
// resources must be among those allowed; none requested means all allowed.
func narrowResources(requested, allowed []string) ([]string, *Error) {
	if len(requested) == 0 {
		return allowed, nil
	}
	if !subset(requested, allowed) {
		return nil, oauthError(CodeInvalidTarget, "resource not allowed")
	}
	return requested, nil
}
