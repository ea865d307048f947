package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kunci/kunci/store"
)

// Text PostgreSQL cannot hold is invalid input, never a database failure
// that a server would report as 503.
func TestTextTheDatabaseCannotHold(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	_, err := s.Client(ctx, "a\x00b")
	assert.True(t, errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound), "%v", err)
	_, err = s.AuthRequest(ctx, "\xff")
	assert.True(t, errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound), "%v", err)
	err = s.SaveAuthRequest(ctx, store.AuthRequest{ID: "r1", ClientID: "c", State: "a\x00b", ExpiresAt: time.Now().Add(time.Minute)})
	assert.ErrorIs(t, err, store.ErrInvalid)
}
