package main

import (
	"encoding/hex"
	"fmt"
	"os"

	"github.com/kunci/kunci/example/internal/demo"
)

// pairwiseKeyEnv is the environment variable -pairwise-key defaults to.
const pairwiseKeyEnv = "KUNCI_DEMO_PAIRWISE_KEY"

// parsePairwiseKey reads -pairwise-key: hex digits for at least 32 bytes
// (OpenID Connect Core §8.1 needs a secret the server keeps), or empty for
// a fresh key per run.
func parsePairwiseKey(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	key, err := hex.DecodeString(s)
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("example: -pairwise-key (or $%s) must be at least 64 hex digits", pairwiseKeyEnv)
	}
	return key, nil
}

// defaultDataWithFAPIClient returns the built-in demo data plus the
// FAPI-style client (demo.FAPIClient) with a private key drawn for this
// run. The private key is written, for the walkthrough's assertion
// helper, to a new file in the temporary directory that only this user
// may read; remove deletes it when the demo stops. It is a demo key that
// lives as long as the demo's memory store: never use it elsewhere.
func defaultDataWithFAPIClient(issuer string) (d demo.Data, keyFile string, remove func(), err error) {
	key, err := demo.NewClientKey()
	if err != nil {
		return demo.Data{}, "", nil, err
	}
	client, err := demo.FAPIClient(issuer, key)
	if err != nil {
		return demo.Data{}, "", nil, err
	}
	f, err := os.CreateTemp("", "kunci-demo-client-key-*.json") // mode 0600
	if err != nil {
		return demo.Data{}, "", nil, fmt.Errorf("example: client key file: %w", err)
	}
	remove = func() { os.Remove(f.Name()) }
	if err := demo.WriteClientKey(f, key); err != nil {
		f.Close()
		remove()
		return demo.Data{}, "", nil, err
	}
	if err := f.Close(); err != nil {
		remove()
		return demo.Data{}, "", nil, fmt.Errorf("example: client key file: %w", err)
	}
	d = demo.DefaultData(issuer)
	d.Clients = append(d.Clients, client)
	return d, f.Name(), remove, nil
}
