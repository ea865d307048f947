package authserver

import (
	"net/http"
	"time"
)

// Defaults and bounds of ClientAssertions.
const (
	defaultJWKSFetchTimeout  = 5 * time.Second
	defaultJWKSMaxBytes      = 64 << 10
	defaultJWKSCacheTTL      = time.Hour
	defaultJWKSRefetchPeriod = time.Minute
	maxJWKSMaxBytes          = 1 << 20
)

// ClientAssertions configures how the server gets the public keys of
// private_key_jwt clients that register a jwks_uri (RFC 7591 §2). The zero
// value fetches them with a client of its own, with the defaults below.
// Documents are fetched by the Server that needs them and cached in it,
// never shared between Servers.
type ClientAssertions struct {
	// HTTPClient fetches jwks_uri documents. Nil means a client of its
	// own that follows no redirects. The server adds FetchTimeout to every
	// fetch either way.
	HTTPClient *http.Client
	// FetchTimeout bounds one fetch; default 5 seconds.
	FetchTimeout time.Duration
	// MaxJWKSBytes bounds a fetched document; default 64 KiB, at most 1
	// MiB. A larger one is refused, and the client cannot authenticate.
	MaxJWKSBytes int64
	// CacheTTL is how long a fetched document is used before it is
	// fetched again; default one hour.
	CacheTTL time.Duration
	// RefetchInterval is the shortest time between two fetches of one
	// document: an assertion whose kid is not in the cached document has
	// it fetched again (the client may have rotated its keys, OpenID
	// Connect Core §10.1.1), but at most once per interval, so that
	// assertions with made-up kids cannot make the server fetch on every
	// request. Default one minute.
	RefetchInterval time.Duration
}

// checkClientAssertions fills in the defaults of c.ClientAssertions and
// reports its invalid fields.
func (c *Config) checkClientAssertions(p *problems) {
	ca := &c.ClientAssertions
	positive := func(field string, d *time.Duration, def time.Duration) {
		switch {
		case *d < 0:
			p.add(field, "must not be negative")
		case *d == 0:
			*d = def
		}
	}
	positive("ClientAssertions.FetchTimeout", &ca.FetchTimeout, defaultJWKSFetchTimeout)
	positive("ClientAssertions.CacheTTL", &ca.CacheTTL, defaultJWKSCacheTTL)
	positive("ClientAssertions.RefetchInterval", &ca.RefetchInterval, defaultJWKSRefetchPeriod)
	switch {
	case ca.MaxJWKSBytes < 0 || ca.MaxJWKSBytes > maxJWKSMaxBytes:
		p.add("ClientAssertions.MaxJWKSBytes", "must be between 0 (the default, 64 KiB) and %d", maxJWKSMaxBytes)
	case ca.MaxJWKSBytes == 0:
		ca.MaxJWKSBytes = defaultJWKSMaxBytes
	}
	if ca.HTTPClient == nil {
		ca.HTTPClient = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
}
