package storetest

import (
	"testing"

	"github.com/kunci/kunci/store"
)

func newMemory(t *testing.T) *store.Memory {
	m := store.NewMemory()
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func TestRunMemory(t *testing.T) {
	Run(t, func(t *testing.T) store.Store { return newMemory(t) })
}
