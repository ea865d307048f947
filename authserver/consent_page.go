package authserver

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/kunci/kunci/store"
)

// consentPage is the data of the consent page for req, a pending request
// of client that subject is asked to decide, with csrf the page's CSRF
// token: the client's registered identity (RFC 7591 §2), where the user
// will be sent, and the scopes in the page's language.
func (s *Server) consentPage(r *http.Request, req store.AuthRequest, client store.Client, subject, csrf string) ConsentPage {
	lang, texts := s.pageLocale(r, req.UILocales)
	page := ConsentPage{
		ClientID:   client.ID,
		ClientName: client.Name,
		Subject:    subject,
		Action:     mountPrefix(r) + s.cfg.Paths.Consent,
		RequestID:  req.ID,
		CSRFToken:  csrf,

		Lang:         lang,
		Texts:        texts,
		LogoURI:      pageURI(client.LogoURI),
		ClientURI:    pageURI(client.ClientURI),
		PolicyURI:    pageURI(client.PolicyURI),
		TOSURI:       pageURI(client.TOSURI),
		RedirectHost: redirectHost(redirectFor(req, client).uri),
	}
	if page.ClientName == "" {
		page.ClientName = client.ID
	}
	for _, name := range req.Scopes {
		sc := s.scopes[name]
		sc.Description = sc.description(lang)
		page.Scopes = append(page.Scopes, sc)
		if sc.Required {
			page.RequiredScopes = append(page.RequiredScopes, sc)
		} else {
			page.OptionalScopes = append(page.OptionalScopes, sc)
		}
	}
	page.Claims = s.claimsBeyondScopes(req, client)
	return page
}

// maxPageURILen bounds a URI the consent page shows.
const maxPageURILen = 2048

// checkPageURI checks a URI of the client's registration that the consent
// page shows (logo_uri, client_uri, policy_uri, tos_uri, RFC 7591 §2): an
// absolute https URL with a host and without user info (which could make
// one host look like another), of at most maxPageURILen visible ASCII
// characters, none of them one that markup is made of.
func checkPageURI(raw string) error {
	if len(raw) > maxPageURILen {
		return errors.New("is too long")
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] <= 0x20 || raw[i] >= 0x7f {
			return errors.New("must be visible ASCII characters only, with an internationalized host in its A-label form")
		}
	}
	if strings.ContainsAny(raw, "<>\"'`\\") {
		return errors.New("must not contain any of <>\"'`\\")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("is not a URL")
	case u.Scheme != "https" || u.Opaque != "":
		return errors.New("must be an absolute https URL")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("must have a host")
	case u.User != nil:
		return errors.New("must not have user info")
	}
	return nil
}

// checkClientPageURIs checks the URIs of c that the consent page shows.
func checkClientPageURIs(p *problems, c Client) {
	for _, f := range []struct{ field, uri string }{
		{"LogoURI", c.LogoURI}, {"ClientURI", c.ClientURI}, {"PolicyURI", c.PolicyURI}, {"TOSURI", c.TOSURI},
	} {
		if f.uri == "" {
			continue
		}
		if err := checkPageURI(f.uri); err != nil {
			p.add(f.field, "%v", err)
		}
	}
}

// pageURI is raw as the consent page shows it: raw when checkPageURI
// accepts it, else empty, so that a record saved by other means than
// [Server.RegisterClient] cannot put a script URL or markup on the page.
func pageURI(raw string) string {
	if raw == "" || checkPageURI(raw) != nil {
		return ""
	}
	return raw
}

// redirectHost is what the consent page shows of the redirect URI the user
// will be sent to: its host with the port, if any, as registered (an
// internationalized host in the A-label form a look-alike cannot hide
// behind), or for a URI without a host (a native app's private-use scheme,
// RFC 8252 §7.1) its scheme followed by a colon.
func redirectHost(uri string) string {
	u, err := url.Parse(uri)
	switch {
	case err != nil:
		return ""
	case u.Host != "":
		return u.Host
	case u.Scheme != "":
		return u.Scheme + ":"
	}
	return ""
}
