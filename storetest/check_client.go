package storetest

import (
	"context"
	"errors"

	"github.com/kunci/kunci/store"
)

func checkClientNotFound(ctx context.Context, s store.Store) error {
	_, err := s.Client(ctx, randomID("client"))
	return wantErr("Client of an unknown id", err, store.ErrNotFound)
}

func checkClientSaveLookup(ctx context.Context, s store.Store) error {
	c := newClient()
	if err := s.SaveClient(ctx, c); err != nil {
		return noErr("SaveClient", err)
	}
	got, err := s.Client(ctx, c.ID)
	if err != nil {
		return noErr("Client", err)
	}
	return diff("Client", got, c)
}

func checkClientSaveReplace(ctx context.Context, s store.Store) error {
	c := newClient()
	if err := s.SaveClient(ctx, c); err != nil {
		return noErr("SaveClient", err)
	}
	c2 := newClient()
	c2.ID = c.ID
	c2.Name = "Renamed App"
	c2.SecretHash = ""
	c2.AuthMethod = "none"
	c2.PKCEOptional = false
	c2.RedirectURIs = []string{"https://other.example/cb"}
	c2.Resources = nil
	if err := s.SaveClient(ctx, c2); err != nil {
		return noErr("SaveClient replacing a client", err)
	}
	got, err := s.Client(ctx, c.ID)
	if err != nil {
		return noErr("Client", err)
	}
	return diff("replaced Client", got, c2)
}

func checkClientEmptyID(ctx context.Context, s store.Store) error {
	c := newClient()
	c.ID = ""
	return errors.Join(
		wantErr("SaveClient without an id", s.SaveClient(ctx, c), store.ErrInvalid),
		wantErr("Client of the empty id", func() error { _, err := s.Client(ctx, ""); return err }(), store.ErrNotFound),
	)
}
