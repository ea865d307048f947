package authserver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// OpenID.ACRValues are published as acr_values_supported (Discovery §3),
// in the host's order, and left out when the host names none.
func TestOpenIDACRValuesInDiscovery(t *testing.T) {
	srv, _, _ := newOIDCServer(t, func(c *authserver.Config) { c.OpenID.ACRValues = []string{"urn:kunci:loa:2", "urn:kunci:loa:1"} })
	m := getMetadata(t, srv, "/.well-known/openid-configuration")
	assert.Equal(t, []any{"urn:kunci:loa:2", "urn:kunci:loa:1"}, m["acr_values_supported"])
	assert.Equal(t, []any{"none", "login", "consent", "select_account"}, m["prompt_values_supported"])
	assert.Equal(t, m, getMetadata(t, srv, "/.well-known/oauth-authorization-server"))

	none, _, _ := newOIDCServer(t, nil)
	assert.NotContains(t, getMetadata(t, none, "/.well-known/openid-configuration"), "acr_values_supported")
}

// An ACR value must be one space-free token, listed once, and needs
// OpenID Connect.
func TestNewRejectsBadACRValues(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		err    string
	}{
		{"an empty value", []string{""}, `authserver: config: OpenID.ACRValues: "" must be non-empty visible ASCII without spaces, listed once (OpenID Connect Core §2)`},
		{"a value with a space", []string{"a b"}, `authserver: config: OpenID.ACRValues: "a b" must be non-empty visible ASCII without spaces, listed once (OpenID Connect Core §2)`},
		{"a control character", []string{"a\x01"}, `authserver: config: OpenID.ACRValues: "a\x01" must be non-empty visible ASCII without spaces, listed once (OpenID Connect Core §2)`},
		{"a value twice", []string{"loa2", "loa2"}, `authserver: config: OpenID.ACRValues: "loa2" must be non-empty visible ASCII without spaces, listed once (OpenID Connect Core §2)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oidcConfig()
			cfg.OpenID.ACRValues = tc.values
			_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			require.Len(t, fieldErrors(err), 1, "%v", err)
			assert.EqualError(t, fieldErrors(err)[0], tc.err)
		})
	}
	t.Run("OpenID Connect off", func(t *testing.T) {
		cfg := testConfig()
		cfg.OpenID.ACRValues = []string{"loa2"}
		_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
		require.Len(t, fieldErrors(err), 1, "%v", err)
		assert.EqualError(t, fieldErrors(err)[0], "authserver: config: OpenID.ACRValues: is set but OpenID Connect is off: set OpenID.Enabled")
	})
}
