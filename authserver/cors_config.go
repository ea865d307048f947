package authserver

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// CORS configures Cross-Origin Resource Sharing, the CORS protocol of the
// Fetch standard (§3.2), for single-page apps that call the server from
// the browser (OAuth 2.0 for Browser-Based Applications, draft-ietf-oauth-
// browser-based-apps §6.3). The zero value turns it on for the origins of
// each client's registered redirect URIs:
//
//   - The token endpoint (and its refresh aliases), the revocation endpoint
//     and the UserInfo endpoint answer a cross-origin request with
//     Access-Control-Allow-Origin, the request's own origin, only when that
//     origin is allowed for the client the request names (see
//     [CORS.Origins] for which). Their responses always carry Vary: Origin.
//   - Their preflight requests name no client. One is answered (204, with
//     the endpoint's methods, the request headers Authorization,
//     Content-Type and DPoP, and a ten-minute Access-Control-Max-Age) for
//     an origin that some client this Server registered allows, or that
//     Origins or AllowOrigin allow, and refused (403, no
//     Access-Control-Allow-Origin) otherwise, so that a browser never
//     sends a request that needs one from an origin no client uses; see
//     [CORS.AllowOrigin] for servers whose clients this Server did not
//     register. The actual request is still checked against its client.
//   - The metadata documents and the JWK Set are public: they answer
//     Access-Control-Allow-Origin: *.
//   - Access-Control-Allow-Credentials is never sent: cookies never reach
//     these endpoints from another origin. The authorization, consent and
//     introspection endpoints, and every page, never carry a CORS header.
//
// CORS applies to the routes of the [Server] itself; the handlers of
// single endpoints ([Server.TokenHandler] and the others) carry none.
type CORS struct {
	// Disabled turns every CORS header off, for hosts that answer CORS
	// in front of the server themselves. Origins and AllowOrigin must then
	// be empty.
	Disabled bool

	// Origins are origins allowed per client ID beyond those of the
	// client's redirect URIs (the scheme, host and port of each http or
	// https one, Fetch §3.2.1, RFC 6454 §6.2), for an app served from
	// another origin than it redirects to. Each is a serialized origin as
	// browsers send it: "https://spa.example.com" or
	// "https://spa.example.com:8443", lowercase, without the default port
	// or a trailing slash; http only on a loopback IP address unless
	// Development.AllowHTTPRedirectURIs. "null" and "*" are refused.
	Origins map[string][]string

	// AllowOrigin, when set, is asked about an origin that neither the
	// client's redirect URIs nor Origins allow. clientID is the client
	// the request names, which exists in the store; it is empty for a
	// preflight, which names no client. origin is always a well-formed
	// serialized origin, never "null". It must be safe for concurrent
	// use.
	//
	// A Server learns the origins of the redirect URIs only from its own
	// RegisterClient calls: the store keeps no index by origin. Servers
	// that share a store, or that restart without registering their
	// clients again, answer a preflight for an origin only another
	// instance registered if AllowOrigin says yes for an empty clientID;
	// answering true there for every origin is safe, since the actual
	// request is still checked against its client.
	AllowOrigin func(origin, clientID string) bool
}

// corsMaxOrigin bounds the Origin header that is parsed at all; a longer
// one is malformed.
const corsMaxOrigin = 512

// checkCORS checks Config.CORS.
func (c *Config) checkCORS(p *problems) {
	cors := c.CORS
	if cors.Disabled {
		if cors.Origins != nil {
			p.add("CORS.Origins", "is set but CORS.Disabled turns CORS off")
		}
		if cors.AllowOrigin != nil {
			p.add("CORS.AllowOrigin", "is set but CORS.Disabled turns CORS off")
		}
		return
	}
	ids := make([]string, 0, len(cors.Origins))
	for id := range cors.Origins {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		field := fmt.Sprintf("CORS.Origins[%q]", id)
		if id == "" || !vschar(id) {
			p.add(field, "the client ID must be non-empty visible ASCII (RFC 6749 Appendix A)")
		}
		for _, o := range cors.Origins[id] {
			if err := checkOrigin(o, c.Development.AllowHTTPRedirectURIs); err != nil {
				p.add(field, "%q: %v", o, err)
			}
		}
	}
}

// checkOrigin checks a configured origin.
func checkOrigin(o string, allowHTTP bool) error {
	switch {
	case o == "null" || o == "*":
		return fmt.Errorf("%s never names an app's origin", o)
	case !validOrigin(o):
		return fmt.Errorf("must be a serialized origin such as https://spa.example.com: scheme, host and port only, lowercase, without the default port (Fetch §3.2.1)")
	case strings.HasPrefix(o, "http://") && !allowHTTP && !isLoopbackIP(strings.Trim(hostOnly(o), "[]")):
		return fmt.Errorf("http is allowed only on a loopback IP address (RFC 9700 §2.1); use https")
	}
	return nil
}

// hostOnly returns the host of a valid serialized origin.
func hostOnly(o string) string {
	u, _ := url.Parse(o)
	return u.Hostname()
}

// validOrigin reports whether o is an http or https origin exactly as a
// browser serializes it in the Origin header (Fetch §3.2.1, RFC 6454
// §6.2): lowercase scheme and host, the port only when it is not the
// scheme's default, nothing else. "null" is not.
func validOrigin(o string) bool {
	if len(o) > corsMaxOrigin {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || u.Opaque != "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return false
	}
	got, ok := originOf(u)
	return ok && got == o
}

// originOf returns the serialized origin of an http or https URL (RFC 6454
// §6.2), or false for any other URL (a native app's custom scheme has no
// web origin) and for a host that is not ASCII, which a browser would send
// in its punycode form.
func originOf(u *url.URL) (string, bool) {
	scheme := strings.ToLower(u.Scheme)
	defaultPort := ""
	switch scheme {
	case "https":
		defaultPort = "443"
	case "http":
		defaultPort = "80"
	default:
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", false
	}
	for i := 0; i < len(host); i++ {
		if host[i] <= ' ' || host[i] >= 0x7f {
			return "", false
		}
	}
	port := u.Port()
	if n, err := strconv.Atoi(port); port != "" && (err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port) {
		return "", false
	}
	if port == defaultPort {
		port = ""
	}
	switch {
	case port != "":
		host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		host = "[" + host + "]"
	}
	return scheme + "://" + host, true
}

// redirectOrigins returns the distinct origins of a client's redirect URIs.
func redirectOrigins(uris []string) []string {
	var out []string
	for _, raw := range uris {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		if o, ok := originOf(u); ok && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}
