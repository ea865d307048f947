package storetest_test

import (
	"testing"

	"github.com/kunci/kunci/store"
	"github.com/kunci/kunci/storetest"
)

// A store's conformance test runs the whole suite, each check on a fresh
// store made by the factory; run it under -race. It is compiled here, and
// run for the memory store by this package's own tests.
func ExampleRun() {
	conformance := func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			m := store.NewMemory()
			t.Cleanup(func() { m.Close() })
			return m
		})
	}
	_ = conformance
}
