package postgres

import (
	"testing"

	"github.com/kunci/kunci/store"
	"github.com/kunci/kunci/storetest"
)

// TestConformance runs the store conformance suite; every subtest gets a
// migrated Store in a fresh schema.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newTestStore(t) })
}
