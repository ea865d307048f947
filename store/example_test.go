package store_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kunci/kunci/store"
)

func ExampleNewMemory() {
	ctx := context.Background()
	m := store.NewMemory()
	defer m.Close()

	now := time.Now()
	// Everything issued from one authorization belongs to its grant.
	grant := store.Grant{
		ID: "grant-1", ClientID: "app", Subject: "alice", Scopes: []string{"basic_info"},
		AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour),
	}
	if err := m.SaveGrant(ctx, grant); err != nil {
		fmt.Println(err)
		return
	}
	// The server stores hashes of codes and tokens, never the values.
	code := store.AuthCode{
		Hash: "fXjPu2NjhQ0b7l3yVhK9cA", GrantID: grant.ID, ClientID: "app",
		IssuedAt: now, ExpiresAt: now.Add(time.Minute),
	}
	if err := m.SaveCode(ctx, code); err != nil {
		fmt.Println(err)
		return
	}

	// A code is read, checked, then consumed once; a second exchange is
	// reported with the record, so the server can revoke the grant
	// (RFC 6749 §4.1.2).
	c, err := m.Code(ctx, grant.ID, code.Hash)
	fmt.Println(c.ClientID, err)
	_, err = m.ConsumeCode(ctx, grant.ID, code.Hash)
	fmt.Println(err)
	_, err = m.ConsumeCode(ctx, grant.ID, code.Hash)
	fmt.Println(errors.Is(err, store.ErrReused))

	// The grant gets its first refresh token, then rotates it. Presenting
	// the retired one again is a reuse (RFC 9700 §4.14.2).
	first := store.RefreshState{Hash: "cmVmcmVzaC0x", IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	second := store.RefreshState{Hash: "cmVmcmVzaC0y", IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	_, err = m.RotateRefreshToken(ctx, grant.ID, "", first)
	fmt.Println(err)
	_, err = m.RotateRefreshToken(ctx, grant.ID, first.Hash, second)
	fmt.Println(err)
	g, err := m.RotateRefreshToken(ctx, grant.ID, first.Hash, second)
	fmt.Println(g.RefreshCount, errors.Is(err, store.ErrReused))

	token := store.AccessToken{
		Hash: "Zm9vYmFyYmF6cXV4MTIzNA", GrantID: grant.ID, ClientID: "app",
		Subject: "alice", Scopes: grant.Scopes, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	}
	if err := m.SaveAccessToken(ctx, token); err != nil {
		fmt.Println(err)
		return
	}
	_ = m.RevokeGrant(ctx, grant.ID)
	_, err = m.AccessToken(ctx, token.Hash)
	fmt.Println(errors.Is(err, store.ErrNotFound))

	// A record that has already expired is refused rather than kept.
	token.Hash, token.GrantID, token.ExpiresAt = "c3RhbGV0b2tlbmhhc2g", "", now.Add(-time.Second)
	fmt.Println(errors.Is(m.SaveAccessToken(ctx, token), store.ErrExpired))
	// Output:
	// app <nil>
	// <nil>
	// true
	// <nil>
	// <nil>
	// 1 true
	// true
	// true
}
