package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCloneStringsSharesNothingWithTheOriginal(t *testing.T) {
	a, b := []string{"a1", "a2"}, []string{"b1"}
	var none []string
	empty := []string{}
	ca, cb, cn, ce := a, b, none, empty
	cloneStrings(&ca, &cn, &cb, &ce)

	assert.Equal(t, []string{"a1", "a2"}, ca)
	assert.Equal(t, []string{"b1"}, cb)
	assert.Nil(t, cn)
	require.NotNil(t, ce)
	assert.Empty(t, ce)

	ca[0], cb[0] = "changed", "changed"
	assert.Equal(t, []string{"a1", "a2"}, a, "the original is not the copy")
	assert.Equal(t, []string{"b1"}, b)

	// Appending to one copy never writes into the next one's elements.
	ca = append(ca, "more")
	assert.Equal(t, []string{"changed"}, cb)
	assert.Equal(t, []string{"changed", "a2", "more"}, ca)
}

func TestCloneStringsKeepsEmptyListsEmpty(t *testing.T) {
	var none []string
	empty := []string{}
	cloneStrings(&none, &empty)
	assert.Nil(t, none)
	require.NotNil(t, empty)
	assert.Empty(t, empty)
}

func TestCloneClientAndGrantCopyEveryList(t *testing.T) {
	c := Client{ID: "c", RedirectURIs: []string{"https://a/cb"}, LoginURIs: []string{"https://a/login"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scopes: []string{"openid"},
		Resources: []string{"https://api"}, PostLogoutRedirectURIs: []string{"https://a/out"}, JWKS: []byte(`{"keys":[]}`)}
	cc := cloneClient(c)
	assert.Equal(t, c, cc)
	for _, l := range [][]string{cc.RedirectURIs, cc.LoginURIs, cc.GrantTypes, cc.ResponseTypes, cc.Scopes, cc.Resources, cc.PostLogoutRedirectURIs} {
		l[0] = "changed"
	}
	cc.JWKS[0] = 'x'
	assert.Equal(t, Client{ID: "c", RedirectURIs: []string{"https://a/cb"}, LoginURIs: []string{"https://a/login"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scopes: []string{"openid"},
		Resources: []string{"https://api"}, PostLogoutRedirectURIs: []string{"https://a/out"}, JWKS: []byte(`{"keys":[]}`)}, c)

	g := Grant{ID: "g", Scopes: []string{"openid"}, Audience: []string{"https://api"}, AMR: []string{"pwd"}, Claims: []byte(`{}`)}
	cg := cloneGrant(g)
	assert.Equal(t, g, cg)
	cg.Scopes[0], cg.Audience[0], cg.AMR[0], cg.Claims[0] = "x", "x", "x", 'x'
	assert.Equal(t, Grant{ID: "g", Scopes: []string{"openid"}, Audience: []string{"https://api"}, AMR: []string{"pwd"}, Claims: []byte(`{}`)}, g)
}
