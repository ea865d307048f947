package store

import "slices"

// cloneClient returns a copy of c that shares no backing array with c, so
// that neither the Memory's record nor the caller's copy can change the
// other. Its string lists share one new backing array (cloneStrings).
func cloneClient(c Client) Client {
	cloneStrings(&c.RedirectURIs, &c.LoginURIs, &c.GrantTypes, &c.ResponseTypes,
		&c.Scopes, &c.Resources, &c.PostLogoutRedirectURIs)
	c.JWKS = slices.Clone(c.JWKS)
	return c
}

// cloneGrant returns a copy of g that shares no backing array with g, as
// cloneClient does for a client.
func cloneGrant(g Grant) Grant {
	cloneStrings(&g.Scopes, &g.Audience, &g.AMR)
	g.Claims = slices.Clone(g.Claims)
	return g
}

// cloneStrings replaces each slice lists points to with a copy. The copies
// share one new backing array, one allocation for all of them, and each is
// capped at its length, so that appending to one never writes into another.
// A nil slice stays nil and an empty one stays empty.
func cloneStrings(lists ...*[]string) {
	n := 0
	for _, l := range lists {
		n += len(*l)
	}
	if n == 0 {
		for _, l := range lists {
			if *l != nil {
				*l = []string{}
			}
		}
		return
	}
	buf := make([]string, n)
	at := 0
	for _, l := range lists {
		if *l == nil {
			continue
		}
		end := at + copy(buf[at:], *l)
		*l = buf[at:end:end]
		at = end
	}
}
