package authserver

import (
	"net/url"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kunci/kunci/store"
)

var redirectRegistered = []string{
	"https://app.example.com/callback",
	"https://app.example.com/cb?tenant=1",
	"http://127.0.0.1/native",
	"http://[::1]:8080/native6",
	"com.example.app:/oauth2redirect",
}

func TestMatchRedirectURI(t *testing.T) {
	cases := []struct {
		name      string
		requested string
		want      string // "" means no match
	}{
		{"exact", "https://app.example.com/callback", "https://app.example.com/callback"},
		{"exact with its own query", "https://app.example.com/cb?tenant=1", "https://app.example.com/cb?tenant=1"},
		{"custom scheme exact", "com.example.app:/oauth2redirect", "com.example.app:/oauth2redirect"},
		{"prefix of a registered URI", "https://app.example.com/call", ""},
		{"registered URI with a suffix", "https://app.example.com/callback/evil", ""},
		{"path traversal after it", "https://app.example.com/callback/../evil", ""},
		{"encoded dot segments", "https://app.example.com/callback/%2e%2e/evil", ""},
		{"other case in host", "https://APP.example.com/callback", ""},
		{"other case in path", "https://app.example.com/Callback", ""},
		{"other scheme", "http://app.example.com/callback", ""},
		{"userinfo", "https://app.example.com@evil.example/callback", ""},
		{"userinfo before host", "https://evil@app.example.com/callback", ""},
		{"trailing slash", "https://app.example.com/callback/", ""},
		{"extra query", "https://app.example.com/callback?x=1", ""},
		{"changed query", "https://app.example.com/cb?tenant=2", ""},
		{"fragment", "https://app.example.com/callback#frag", ""},
		{"explicit default port", "https://app.example.com:443/callback", ""},
		{"empty", "", ""},
		{"loopback, any port", "http://127.0.0.1:51234/native", "http://127.0.0.1:51234/native"},
		{"loopback, no port", "http://127.0.0.1/native", "http://127.0.0.1/native"},
		{"loopback v6, other port", "http://[::1]:9999/native6", "http://[::1]:9999/native6"},
		{"loopback v6, no port", "http://[::1]/native6", "http://[::1]/native6"},
		{"loopback, other path", "http://127.0.0.1:5000/other", ""},
		{"loopback, other IP", "http://127.0.0.2:5000/native", ""},
		{"loopback, localhost name", "http://localhost:5000/native", ""},
		{"loopback, https", "https://127.0.0.1:5000/native", ""},
		{"loopback, userinfo", "http://x@127.0.0.1:5000/native", ""},
		{"loopback, empty port", "http://127.0.0.1:/native", ""},
		{"loopback, non-numeric port", "http://127.0.0.1:ab/native", ""},
		{"loopback, extra query", "http://127.0.0.1:5000/native?x=1", ""},
		{"loopback, fragment", "http://127.0.0.1:5000/native#x", ""},
		{"loopback, trailing slash", "http://127.0.0.1:5000/native/", ""},
		{"loopback, encoded host", "http://127.0.0.%31:5000/native", ""},
		{"loopback, v4-mapped v6", "http://[::ffff:127.0.0.1]:5000/native", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := matchRedirectURI(redirectRegistered, tc.requested, true)
			assert.Equal(t, tc.want != "", ok)
			assert.Equal(t, tc.want, got)
			// Without the any-port rule only the registered URIs match.
			exact := slices.Contains(redirectRegistered, tc.requested)
			got, ok = matchRedirectURI(redirectRegistered, tc.requested, false)
			assert.Equal(t, exact, ok)
			if exact {
				assert.Equal(t, tc.requested, got)
			} else {
				assert.Empty(t, got)
			}
		})
	}
}

// FuzzRedirectURIMatch asserts that nothing but a registered URI, or a
// registered loopback URI with another port, ever matches.
func TestLoopbackAnyPort(t *testing.T) {
	native := store.Client{ApplicationType: string(ApplicationNative)}
	cases := []struct {
		name          string
		client        store.Client
		responseTypes []string
		want          bool
	}{
		{"native, code", native, []string{"code"}, true},
		{"native, no response_type", native, nil, true},
		{"native, token", native, []string{"token"}, false},
		{"native, code twice", native, []string{"code", "code"}, true},
		{"native, code and token", native, []string{"code", "token"}, false},
		{"native, an unknown response type", native, []string{"code id_token"}, false},
		{"web, code", store.Client{ApplicationType: string(ApplicationWeb)}, []string{"code"}, false},
		{"no application type, code", store.Client{}, []string{"code"}, false},
		{"another case of native", store.Client{ApplicationType: "Native"}, []string{"code"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, loopbackAnyPort(tc.client, tc.responseTypes))
		})
	}
}

func FuzzRedirectURIMatch(f *testing.F) {
	for _, r := range redirectRegistered {
		f.Add(r)
	}
	for _, s := range []string{"http://127.0.0.1:1/native", "https://app.example.com/callback/", "http://[::1]:0/native6", "http://127.0.0.1:65535/native?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, requested string) {
		got, ok := matchRedirectURI(redirectRegistered, requested, true)
		if !ok {
			return
		}
		if got != requested {
			t.Fatalf("match returned %q for %q", got, requested)
		}
		for _, r := range redirectRegistered {
			if r == requested {
				return
			}
		}
		// Only the loopback exception remains: same everything but the port.
		u, err := url.Parse(requested)
		if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" {
			t.Fatalf("non-loopback URI %q matched", requested)
		}
		for _, r := range redirectRegistered {
			ru, err := url.Parse(r)
			if err != nil {
				continue
			}
			if ru.Scheme == "http" && ru.Hostname() == u.Hostname() && ru.EscapedPath() == u.EscapedPath() && ru.RawQuery == u.RawQuery {
				return
			}
		}
		t.Fatalf("%q matched no registered URI", requested)
	})
}
