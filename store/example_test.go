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
	// The server stores hashes of codes and tokens, never the values.
	code := store.AuthCode{
		Hash: "fXjPu2NjhQ0b7l3yVhK9cA", GrantID: "grant-1", ClientID: "app",
		Subject: "alice", Scopes: []string{"basic_info"},
		IssuedAt: now, ExpiresAt: now.Add(time.Minute),
	}
	if err := m.SaveCode(ctx, code); err != nil {
		fmt.Println(err)
		return
	}

	// A code is consumed once; a second exchange is reported with the record,
	// so the server can revoke what the first one issued (RFC 6749 §4.1.2).
	c, err := m.ConsumeCode(ctx, code.Hash)
	fmt.Println(c.Subject, c.Scopes, err)
	c, err = m.ConsumeCode(ctx, code.Hash)
	fmt.Println(c.GrantID, errors.Is(err, store.ErrReused))

	token := store.AccessToken{
		Hash: "Zm9vYmFyYmF6cXV4MTIzNA", GrantID: c.GrantID, ClientID: "app",
		Subject: "alice", Scopes: c.Scopes, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	}
	if err := m.SaveAccessToken(ctx, token); err != nil {
		fmt.Println(err)
		return
	}
	_ = m.RevokeGrant(ctx, c.GrantID)
	_, err = m.AccessToken(ctx, token.Hash)
	fmt.Println(errors.Is(err, store.ErrNotFound))

	// A record that has already expired is refused rather than kept.
	token.Hash, token.ExpiresAt = "c3RhbGV0b2tlbmhhc2g", now.Add(-time.Second)
	fmt.Println(errors.Is(m.SaveAccessToken(ctx, token), store.ErrExpired))
	// Output:
	// alice [basic_info] <nil>
	// grant-1 true
	// true
	// true
}
