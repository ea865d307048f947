package redis

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
)

func TestStamp(t *testing.T) {
	far := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		in   time.Time
		want string
		back time.Time
	}{
		{"the zero time", time.Time{}, "037864403200000000", time.Time{}},
		{"the Unix epoch", time.Unix(0, 0), "100000000000000000", time.Unix(0, 0)},
		{"a time rounded to the microsecond", time.Unix(1, 1500), "100000000001000002", time.Unix(1, 2000)},
		{"a time before 1970", time.Unix(-1, 999_999_000), "099999999999999999", time.Unix(-1, 999_999_000)},
		{"a time past 2^53 Unix microseconds", far, "116725225600000000", far},
		{"a time past the range", time.Date(40000, 1, 1, 0, 0, 0, 0, time.UTC), "999999999999999999", time.Unix(maxStampSeconds, 999_999_000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := stamp(tc.in)
			assert.Equal(t, tc.want, got)
			back, err := parseStamp(got)
			require.NoError(t, err)
			assert.True(t, back.Equal(tc.back), "parsed back as %v", back)
			assert.Equal(t, tc.back.IsZero(), back.IsZero())
		})
	}
	for _, bad := range []string{"", "12345678901234567", "1234567890123456789", "12345678901234567x", "-12345678901234567"} {
		_, err := parseStamp(bad)
		assert.ErrorIs(t, err, errBadStamp, "%q", bad)
	}
}

func TestUnixMillis(t *testing.T) {
	assert.Equal(t, "1000", unixMillis(time.Unix(1, 0)))
	assert.Equal(t, "1001", unixMillis(time.Unix(1, 1000)), "rounded up, never before the stamp")
	assert.Equal(t, "1000", unixMillis(time.Unix(1, 400)), "to the microsecond first, as stamps are")
	assert.Equal(t, strconv.FormatInt(maxExpiryMillis, 10), unixMillis(time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC)))
}

// TestLuaBeforeMatchesGo runs the prelude's before function in Redis on
// pairs of stamps, including ones a double could not tell apart, and
// compares it with Go's time order.
func TestLuaBeforeMatchesGo(t *testing.T) {
	client := singleClient(t)
	sc := goredis.NewScript(prelude + `return before(ARGV[2], ARGV[3]) and 1 or 0`)
	far := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Now()
	times := []time.Time{
		{}, time.Unix(0, 0), time.Unix(-1, 999_999_000), now, now.Add(time.Microsecond),
		now.Add(time.Second), far, far.Add(time.Microsecond), far.Add(-time.Microsecond),
	}
	for _, a := range times {
		for _, b := range times {
			got, err := sc.Run(t.Context(), client, []string{"k"}, "", stamp(a), stamp(b)).Int()
			require.NoError(t, err)
			assert.Equal(t, a.Round(time.Microsecond).Before(b.Round(time.Microsecond)), got == 1, "before(%v, %v)", a, b)
		}
	}
}

// sampleRecords returns one record of every kind with every field set.
func sampleRecords() (store.Client, store.Grant, store.AuthCode, store.AccessToken, store.AuthRequest, store.Consent) {
	t := time.Date(2030, 5, 6, 7, 8, 9, 123456000, time.UTC)
	c := store.Client{ID: "app", SecretHash: "s", Name: "App", RedirectURIs: []string{"https://a/cb"},
		LoginURIs: []string{"https://a/login"}, GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
		Scopes: []string{"basic_info"}, AuthMethod: "client_secret_basic", ApplicationType: "web", PKCEOptional: true,
		AccessTokenFormat: "jwt", Resources: []string{"https://api"}, IDTokenSignedResponseAlg: "ES256",
		RefreshWithoutOfflineAccess: true, DefaultMaxAge: 90 * time.Second, RequireAuthTime: true,
		PostLogoutRedirectURIs: []string{"https://a/bye"}, SubjectType: "pairwise", SectorIdentifier: "a",
		JWKS:    []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`),
		JWKSURI: "https://a/jwks", AuthSigningAlg: "EdDSA", AcceptEndpointAudience: true,
		RequirePushedAuthorizationRequests: true, DPoPBoundAccessTokens: true, LogoURI: "https://a/logo.png",
		ClientURI: "https://a", PolicyURI: "https://a/privacy", TOSURI: "https://a/tos", CreatedAt: t}
	g := store.Grant{ID: "g", ClientID: "app", Subject: "alice", Scopes: []string{"openid", "basic_info"},
		Audience: []string{"https://api"}, AuthTime: t, ACR: "1", AMR: []string{"pwd"}, SessionID: "sid",
		Nonce: "n", Claims: []byte(`{"id_token":{}}`), JKT: "jkt", CreatedAt: t, ExpiresAt: t.Add(time.Hour)}
	code := store.AuthCode{Hash: "h", GrantID: "g", ClientID: "app", RedirectURI: "https://a/cb",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", CodeChallengeMethod: "S256", IssuedAt: t, ExpiresAt: t.Add(time.Minute)}
	at := store.AccessToken{Hash: "h", GrantID: "g", ClientID: "app", Subject: "alice", Scopes: []string{"basic_info"},
		Audience: []string{"https://api"}, Claims: []byte(`{"tenant":"a"}`), JKT: "jkt", IssuedAt: t, ExpiresAt: t.Add(time.Hour)}
	req := store.AuthRequest{ID: "r", ClientID: "app", RedirectURI: "https://a/cb", ResponseType: "code", State: "xyz",
		Scopes: []string{"basic_info"}, Resources: []string{"https://api"}, CodeChallenge: "c", CodeChallengeMethod: "S256",
		LoginURI: "https://a/login", CSRFHash: "csrf", Subject: "alice", Pushed: true, Nonce: "n-0S6_WzA2Mj",
		ResponseMode: "form_post", Prompt: []string{"login", "consent"}, MaxAge: 300 * time.Second, LoginHint: "alice@example.com",
		ACRValues: []string{"urn:kunci:loa:2"}, UILocales: []string{"id", "en"}, RequiredSubject: "alice",
		Claims: []byte(`{"id_token":{"email":null}}`), JKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
		CreatedAt: t, ExpiresAt: t.Add(time.Minute)}
	con := store.Consent{Subject: "alice", ClientID: "app", Scopes: []string{"basic_info"}, GrantedAt: t, ExpiresAt: t.Add(time.Hour)}
	return c, g, code, at, req, con
}

// encodings returns the encoding of every sample record, by kind.
func encodings() map[string]string {
	c, g, code, at, req, con := sampleRecords()
	return map[string]string{
		"client": encodeClient(c), "grant": encodeGrant(g), "code": encodeCode(code),
		"access": encodeAccess(at), "request": encodeAuthRequest(req), "consent": encodeConsent(con),
	}
}

// decodeAny decodes s as a record of kind.
func decodeAny(kind, s string) error {
	var err error
	switch kind {
	case "client":
		_, err = decodeClient("app", s)
	case "grant":
		_, err = decodeGrant("g", s)
	case "code":
		_, err = decodeCode("g", "h", s)
	case "access":
		_, err = decodeAccess("h", s)
	case "request":
		_, err = decodeAuthRequest("r", s)
	case "consent":
		_, err = decodeConsent("alice", "app", s)
	}
	return err
}

func TestEncodingRoundTrip(t *testing.T) {
	c, g, code, at, req, con := sampleRecords()
	// A grant's refresh state is not in its encoding (see encodeGrant).
	for _, rec := range []any{c, code, at, req, con} {
		requireEveryField(t, rec)
	}
	gotC, err := decodeClient(c.ID, encodeClient(c))
	require.NoError(t, err)
	assertSame(t, c, gotC)
	gotG, err := decodeGrant(g.ID, encodeGrant(g))
	require.NoError(t, err)
	assertSame(t, g, gotG)
	gotCode, err := decodeCode(code.GrantID, code.Hash, encodeCode(code))
	require.NoError(t, err)
	assertSame(t, code, gotCode)
	gotAt, err := decodeAccess(at.Hash, encodeAccess(at))
	require.NoError(t, err)
	assertSame(t, at, gotAt)
	gotReq, err := decodeAuthRequest(req.ID, encodeAuthRequest(req))
	require.NoError(t, err)
	assertSame(t, req, gotReq)
	gotCon, err := decodeConsent(con.Subject, con.ClientID, encodeConsent(con))
	require.NoError(t, err)
	assertSame(t, con, gotCon)

	// Nil stays nil, empty stays empty, and the zero time stays zero.
	at.Claims, at.IssuedAt = nil, time.Time{}
	gotAt, err = decodeAccess(at.Hash, encodeAccess(at))
	require.NoError(t, err)
	assert.Nil(t, gotAt.Claims)
	assert.True(t, gotAt.IssuedAt.IsZero())
	at.Claims = []byte{}
	gotAt, err = decodeAccess(at.Hash, encodeAccess(at))
	require.NoError(t, err)
	assert.NotNil(t, gotAt.Claims)
	assert.Empty(t, gotAt.Claims)
}

// requireEveryField requires every field of the record rec to be set, so
// that a field added to a record later is in the sample records, and so
// in the round trip, too.
func requireEveryField(t *testing.T, rec any) {
	t.Helper()
	rv := reflect.ValueOf(rec)
	for i := range rv.NumField() {
		require.False(t, rv.Field(i).IsZero(), "sample %T leaves %s empty", rec, rv.Type().Field(i).Name)
	}
}

// TestDecodeOlderVersions reads records written before version 4: a
// client and a pending request read with the fields of the later versions
// empty and the fields of their own version kept, and the records that
// versions 2 to 4 left alone read as they were.
func TestDecodeOlderVersions(t *testing.T) {
	c, g, code, at, req, con := sampleRecords()
	// With the fields of later versions empty, each of them takes one
	// byte at the end: version 2 added two to a client and one to a
	// request, version 3 one to a client and eight to a request, version
	// 4 fourteen to a client and one to a request.
	for _, tc := range []struct {
		version        byte
		client, reqCut int
	}{
		{1, 2 + 1 + 14, 1 + 8 + 1},
		{2, 1 + 14, 8 + 1},
		{3, 14, 1},
	} {
		v := string([]byte{tc.version})
		wantC, wantReq := clientOfVersion(c, tc.version), authRequestOfVersion(req, tc.version)
		encC, encReq := encodeClient(wantC), encodeAuthRequest(wantReq)
		got, err := decodeClient(c.ID, v+encC[1:len(encC)-tc.client])
		require.NoError(t, err, "version %d", tc.version)
		assertSame(t, wantC, got, "version %d", tc.version)
		gotReq, err := decodeAuthRequest(req.ID, v+encReq[1:len(encReq)-tc.reqCut])
		require.NoError(t, err, "version %d", tc.version)
		assertSame(t, wantReq, gotReq, "version %d", tc.version)

		gotG, err := decodeGrant(g.ID, v+encodeGrant(g)[1:])
		require.NoError(t, err, "version %d", tc.version)
		assertSame(t, g, gotG)
		gotCode, err := decodeCode(code.GrantID, code.Hash, v+encodeCode(code)[1:])
		require.NoError(t, err, "version %d", tc.version)
		assertSame(t, code, gotCode)
		gotAt, err := decodeAccess(at.Hash, v+encodeAccess(at)[1:])
		require.NoError(t, err, "version %d", tc.version)
		assertSame(t, at, gotAt)
		gotCon, err := decodeConsent(con.Subject, con.ClientID, v+encodeConsent(con)[1:])
		require.NoError(t, err, "version %d", tc.version)
		assertSame(t, con, gotCon)

		// An older client or request with bytes where a later version
		// has its fields is damaged.
		_, err = decodeClient(c.ID, v+encC[1:])
		assert.ErrorIs(t, err, errCorrupt, "version %d", tc.version)
		_, err = decodeAuthRequest(req.ID, v+encReq[1:])
		assert.ErrorIs(t, err, errCorrupt, "version %d", tc.version)
	}
}

// clientOfVersion returns c without the fields that versions after v added.
func clientOfVersion(c store.Client, v byte) store.Client {
	if v < 4 {
		c.RequireAuthTime, c.PostLogoutRedirectURIs, c.SubjectType, c.SectorIdentifier = false, nil, "", ""
		c.JWKS, c.JWKSURI, c.AuthSigningAlg, c.AcceptEndpointAudience = nil, "", "", false
		c.RequirePushedAuthorizationRequests, c.DPoPBoundAccessTokens = false, false
		c.LogoURI, c.ClientURI, c.PolicyURI, c.TOSURI = "", "", "", ""
	}
	if v < 3 {
		c.DefaultMaxAge = 0
	}
	if v < 2 {
		c.IDTokenSignedResponseAlg, c.RefreshWithoutOfflineAccess = "", false
	}
	return c
}

// authRequestOfVersion returns a without the fields that versions after v
// added.
func authRequestOfVersion(a store.AuthRequest, v byte) store.AuthRequest {
	if v < 4 {
		a.JKT = ""
	}
	if v < 3 {
		a.ResponseMode, a.Prompt, a.MaxAge, a.LoginHint = "", nil, 0, ""
		a.ACRValues, a.UILocales, a.RequiredSubject, a.Claims = nil, nil, "", nil
	}
	if v < 2 {
		a.Nonce = ""
	}
	return a
}

// TestDecodeRefusesDamage cuts every encoding at every length, and
// appends a byte, and requires errCorrupt each time.
func TestDecodeRefusesDamage(t *testing.T) {
	for kind, enc := range encodings() {
		require.NoError(t, decodeAny(kind, enc), kind)
		for n := range len(enc) {
			assert.ErrorIs(t, decodeAny(kind, enc[:n]), errCorrupt, "%s cut to %d bytes", kind, n)
		}
		assert.ErrorIs(t, decodeAny(kind, enc+"\x00"), errCorrupt, "%s with a byte more", kind)
		assert.ErrorIs(t, decodeAny(kind, string([]byte{recordVersion + 1})+enc[1:]), errCorrupt, "%s of a later version", kind)
		assert.ErrorIs(t, decodeAny(kind, "\x00"+enc[1:]), errCorrupt, "%s of version 0", kind)
	}
}

// FuzzDecode feeds arbitrary bytes to every decoder: none may panic, or
// allocate out of proportion to its input.
func FuzzDecode(f *testing.F) {
	for _, enc := range encodings() {
		f.Add(enc)
	}
	f.Add("\x01\xff\xff\xff\xff\xff\xff\xff\xff\x01")
	f.Fuzz(func(t *testing.T, s string) {
		for kind := range encodings() {
			_ = decodeAny(kind, s)
		}
	})
}

// BenchmarkEncoding compares the store's encoding of an access token and
// a grant, the records a server keeps most of, with encoding/json: it
// reports the bytes each keeps in Redis.
func BenchmarkEncoding(b *testing.B) {
	_, g, _, at, _, _ := sampleRecords()
	at.Hash, at.GrantID = "hbS8SbVWZ2FtvPFLr2y6cfw0GUZ4QCAcvkLYXKn2v8M", "grant-7PBFKXCZ5ZWG6KMJ"
	b.Run("binary/access", func(b *testing.B) {
		b.ReportAllocs()
		var s string
		for b.Loop() {
			s = encodeAccess(at)
			if _, err := decodeAccess(at.Hash, s); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(s)), "bytes")
	})
	b.Run("json/access", func(b *testing.B) {
		b.ReportAllocs()
		var p []byte
		for b.Loop() {
			var err error
			if p, err = json.Marshal(at); err != nil {
				b.Fatal(err)
			}
			var back store.AccessToken
			if err := json.Unmarshal(p, &back); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(p)), "bytes")
	})
	b.Run("binary/grant", func(b *testing.B) {
		b.ReportAllocs()
		var s string
		for b.Loop() {
			s = encodeGrant(g)
			if _, err := decodeGrant(g.ID, s); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(s)), "bytes")
	})
	b.Run("json/grant", func(b *testing.B) {
		b.ReportAllocs()
		var p []byte
		for b.Loop() {
			var err error
			if p, err = json.Marshal(g); err != nil {
				b.Fatal(err)
			}
			var back store.Grant
			if err := json.Unmarshal(p, &back); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(p)), "bytes")
	})
}
