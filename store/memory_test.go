package store_test

import (
	"testing"

	"github.com/kunci/kunci/store"
	"github.com/kunci/kunci/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		m := store.NewMemory()
		t.Cleanup(func() { _ = m.Close() })
		return m
	})
}
