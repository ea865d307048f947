package authserver

import (
	"encoding/base64"
	"net/url"
	"testing"
)

// FuzzParseBasicAuth checks that parseBasicAuth never panics, that what it
// accepts has a client ID, and that RFC 6749 §2.3.1 credentials (form-encoded,
// joined with ":", base64) come back unchanged.
func FuzzParseBasicAuth(f *testing.F) {
	for _, seed := range []struct{ header, id, secret string }{
		{"Basic c2VydmljZTpzZWNyZXQ=", "service", "secret"},
		{"basic b2RkJTNBaWQ6c2UlM0FjcmV0", "odd:id", "se:cret"},
		{"Basic !!!not-base64", "a+b", "c d"},
		{"Basic Og==", "", ""},
		{"Basic JXp6OiV6eg==", "%zz", "%zz"},
		{"Bearer kat_x", "id", "100%"},
		{"Basic", "é", "\xff"},
		{"Basic  c2VydmljZTpzZWNyZXQ= ", "x", ""},
	} {
		f.Add(seed.header, seed.id, seed.secret)
	}
	f.Fuzz(func(t *testing.T, header, id, secret string) {
		gotID, _, ok, err := parseBasicAuth(header)
		if ok && err == nil && gotID == "" {
			t.Errorf("parseBasicAuth(%q) accepted an empty client ID", header)
		}
		if !ok && err != nil {
			t.Errorf("parseBasicAuth(%q): not Basic but an error %v", header, err)
		}

		if id == "" {
			return
		}
		encoded := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
		gotID, gotSecret, ok, err := parseBasicAuth(encoded)
		if !ok || err != nil || gotID != id || gotSecret != secret {
			t.Errorf("round trip of (%q, %q): got (%q, %q, %v, %v)", id, secret, gotID, gotSecret, ok, err)
		}
	})
}
