package redis

import (
	"testing"

	"github.com/kunci/kunci/store"
	"github.com/kunci/kunci/storetest"
)

// TestConformance runs the store conformance suite on a single node; every
// subtest gets a Store with a key prefix of its own.
func TestConformance(t *testing.T) {
	client := singleClient(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStoreOn(t, client, Options{}) })
}

// TestConformanceCluster runs the suite on a three-primary Redis Cluster,
// where a script whose keys are in two slots would fail with CROSSSLOT.
func TestConformanceCluster(t *testing.T) {
	client := clusterClient(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStoreOn(t, client, Options{}) })
}

// TestConformanceRing runs the suite on a Ring of two nodes, which shards
// keys by their hash tag as a cluster does.
func TestConformanceRing(t *testing.T) {
	client := ringClient(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStoreOn(t, client, Options{}) })
}
