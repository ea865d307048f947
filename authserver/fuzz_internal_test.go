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

// FuzzTokenGrant checks that tokenGrant never panics, accepts exactly the
// shape newGrantToken gives (prefix, a 22-character grant ID, a dot, 43
// characters, all base64url), and that every issued code and token, and a
// grace-period successor, names the grant it was issued for.
func FuzzTokenGrant(f *testing.F) {
	grantID := newGrantID()
	for _, prefix := range []string{prefixAccess, prefixRefresh, prefixCode} {
		tok := newGrantToken(prefix, grantID)
		if got, ok := tokenGrant(tok, prefix); !ok || got != grantID {
			f.Errorf("newGrantToken(%q, %q) = %q, which names %q, %v", prefix, grantID, tok, got, ok)
		}
	}
	issued := newGrantToken(prefixRefresh, grantID)
	for _, seed := range []string{
		issued,
		issued[:len(issued)-1],
		issued + "A",
		prefixRefresh + "abc",
		prefixCode + issued[len(prefixRefresh):],
		"krt_AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"krt_AAAAAAAAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"krt_AAAAAAAAAAAAAAAAAAAA+A.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"krt_\x00AAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		for _, prefix := range []string{prefixAccess, prefixRefresh, prefixCode} {
			grantID, ok := tokenGrant(token, prefix)
			if !ok {
				if grantID != "" {
					t.Errorf("tokenGrant(%q, %q) refused the token but returned %q", token, prefix, grantID)
				}
				continue
			}
			rest := token[len(prefix):]
			if len(grantID) != grantIDLen || len(rest) != grantIDLen+1+secretLen || rest[:grantIDLen] != grantID ||
				rest[grantIDLen] != '.' || !isBase64URL(grantID) || !isBase64URL(rest[grantIDLen+1:]) {
				t.Errorf("tokenGrant(%q, %q) accepted a token of another shape: grant %q", token, prefix, grantID)
			}
			if got, ok := tokenGrant(successorToken([]byte("key"), token), prefixRefresh); prefix == prefixRefresh && (!ok || got != grantID) {
				t.Errorf("the successor of %q names grant %q, %v; want %q", token, got, ok, grantID)
			}
		}
	})
}

// FuzzParseClaimsRequest checks that parseClaimsRequest never panics, that
// what it accepts it normalizes to a fixed point (the normalized JSON parses
// to itself), so that the pending request and the grant read back the
// request that was checked, and that it stays within a small multiple of
// the bound on its input.
func FuzzParseClaimsRequest(f *testing.F) {
	for _, seed := range []string{
		`{"userinfo":{"name":null,"email":{"essential":true}},"id_token":{"auth_time":{"essential":true}}}`,
		`{"id_token":{"acr":{"essential":true,"values":["urn:a","urn:b"]},"sub":{"value":"alice"}}}`,
		`{"userinfo":{"email":{"value":null}},"x":[1,2]}`,
		`{"id_token":{"sub":{"value":5}}}`,
		`{"userinfo":{"<":{"value":{"b":1,"a":[true,"\u00e9"]}}}}`,
		`null`, `[]`, `{} {}`, `{"userinfo":5}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, normalized, e := parseClaimsRequest(raw)
		if e != nil {
			if e.Code != CodeInvalidRequest {
				t.Errorf("parseClaimsRequest(%q): %v, not invalid_request", raw, e)
			}
			return
		}
		if len(normalized) > 6*maxClaimsRequestLen+64 {
			t.Errorf("parseClaimsRequest(%q): %d bytes normalized", raw, len(normalized))
		}
		if len(normalized) > maxClaimsRequestLen {
			return // a longer form of an accepted request is never parsed again
		}
		_, again, e := parseClaimsRequest(string(normalized))
		if e != nil || string(again) != string(normalized) {
			t.Errorf("parseClaimsRequest(%q) normalized to %s, which parses to %s, %v", raw, normalized, again, e)
		}
	})
}
