package authserver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// fill repeats unit for as long as it fits in a body of n bytes after
// prefix.
func fill(prefix, unit string, n int) string {
	return prefix + strings.Repeat(unit, (n-len(prefix))/len(unit))
}

// fillDistinct is prefix followed by as many distinct units (format with
// a counter, such as "+s%d") as fit in n bytes, so that work that removes
// duplicates cannot shortcut on equal values.
func fillDistinct(prefix, format string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; ; i++ {
		unit := fmt.Sprintf(format, i)
		if b.Len()+len(unit) > n {
			return b.String()
		}
		b.WriteString(unit)
	}
}

// bodyLimit is the largest body the POST endpoints read (64 KiB).
const bodyLimit = 64 << 10

// worstTokenRequests are the largest token requests of the shapes that
// once cost time or memory out of proportion to their size: each list is
// as long as a 64 KiB body allows. publicID is all an attacker needs.
var worstTokenRequests = []struct {
	name, body string
	status     int
	want       string // the exact JSON error
}{
	{"many resource parameters", fill("grant_type=refresh_token&client_id="+publicID+"&refresh_token=krt_x", "&resource=a", bodyLimit),
		http.StatusBadRequest, `{"error":"invalid_request","error_description":"too many parameters"}`},
	{"space-separated resources", fill("grant_type=refresh_token&client_id="+publicID+"&refresh_token=krt_x&resource=a", "+a", bodyLimit),
		http.StatusBadRequest, `{"error":"invalid_target","error_description":"malformed resource"}`},
	{"one more resource than allowed", "grant_type=refresh_token&client_id=" + publicID + "&refresh_token=krt_x" + strings.Repeat("&resource=https://api.example/", 17),
		http.StatusBadRequest, `{"error":"invalid_target","error_description":"too many resources"}`},
	{"many distinct parameters", fill("grant_type=refresh_token&client_id="+publicID+"&refresh_token=krt_x", "&p=", bodyLimit),
		http.StatusBadRequest, `{"error":"invalid_request","error_description":"too many parameters"}`},
	{"many repeated parameters", fill("grant_type=refresh_token&client_id="+publicID+"&refresh_token=krt_x", "&scope=a", bodyLimit),
		http.StatusBadRequest, `{"error":"invalid_request","error_description":"too many parameters"}`},
	{"many distinct resource parameters", fillDistinct("grant_type=refresh_token&client_id="+publicID+"&refresh_token=krt_x", "&resource=https://r%d.example/", bodyLimit),
		http.StatusBadRequest, `{"error":"invalid_request","error_description":"too many parameters"}`},
	{"many distinct scopes", fillDistinct("grant_type=refresh_token&client_id="+publicID+"&refresh_token=krt_x&scope=s", "+s%d", bodyLimit),
		http.StatusBadRequest, `{"error":"invalid_scope","error_description":"malformed scope"}`},
	{"sixteen distinct resources, the most allowed", "grant_type=refresh_token&client_id=" + publicID + "&refresh_token=krt_x" + fillDistinct("", "&resource=https://r%d.example/", 16*len("&resource=https://r10.example/")),
		http.StatusBadRequest, `{"error":"invalid_grant","error_description":"invalid refresh token"}`},
	{"many scopes", fill("grant_type=refresh_token&client_id="+publicID+"&refresh_token=krt_x&scope=a", "+a", bodyLimit),
		http.StatusBadRequest, `{"error":"invalid_scope","error_description":"malformed scope"}`},
}

// normalTokenRequest is a client_credentials request that succeeds.
const normalTokenRequest = "grant_type=client_credentials&scope=basic_info"

// paddedTokenRequest is normalTokenRequest with one ignored parameter that
// fills the body to its limit: the cost of reading and parsing 64 KiB.
var paddedTokenRequest = fill(normalTokenRequest+"&pad=", "a", bodyLimit)

// newEdgeServer returns a server with the service and public test clients.
func newEdgeServer(tb testing.TB) *authserver.Server {
	tb.Helper()
	srv, err := authserver.New(testConfig(), store.NewMemoryWithCleanup(0))
	require.NoError(tb, err)
	for _, c := range []authserver.Client{
		{ID: serviceID, Secret: servicePass, Name: "Service", GrantTypes: grants("client_credentials"), Scopes: []string{"basic_info"}},
		{ID: publicID, Name: "Public App", AuthMethod: authserver.AuthMethodNone, ApplicationType: authserver.ApplicationNative,
			RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "refresh_token"), Scopes: []string{"basic_info"}},
	} {
		require.NoError(tb, srv.RegisterClient(context.Background(), c))
	}
	return srv
}

// BenchmarkTokenRequestWorstCase runs a normal token request, the same
// request padded to the body limit with an ignored parameter, and each of
// worstTokenRequests. A worst case costs about what the padded request
// costs, and its ratio to the normal one is that of reading 64 KiB:
//
//	go test ./authserver -run '^$' -bench TokenRequestWorstCase
func BenchmarkTokenRequestWorstCase(b *testing.B) {
	srv := newEdgeServer(b)
	authz := basic(serviceID, servicePass)
	cases := []struct {
		name, body, authz string
		status            int
	}{
		{"normal", normalTokenRequest, authz, http.StatusOK},
		{"padded to 64 KiB", paddedTokenRequest, authz, http.StatusOK},
	}
	for _, w := range worstTokenRequests {
		cases = append(cases, struct {
			name, body, authz string
			status            int
		}{w.name, w.body, "", w.status})
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.body)))
			for b.Loop() {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, tokenRequest(tc.body, tc.authz))
				if rec.Code != tc.status {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}

// bytesPerRequest is the heap memory one request allocates, averaged over
// runs; like testing.AllocsPerRun it counts work rather than time.
func bytesPerRequest(h http.Handler, newRequest func() *http.Request) uint64 {
	const runs = 20
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	serve := func() { h.ServeHTTP(httptest.NewRecorder(), newRequest()) }
	serve()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		serve()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// TestWorstCaseTokenRequestsAreRefusedAfterCheapWork: every list a token
// request carries (parameters, resources, scopes) is bounded before any work
// that grows faster than it, so the largest request of each shape is
// refused with its exact error and allocates about what reading and
// parsing a 64 KiB body of one ignored parameter does: never more than
// twice as much.
func TestWorstCaseTokenRequestsAreRefusedAfterCheapWork(t *testing.T) {
	srv := newEdgeServer(t)
	padded := bytesPerRequest(srv, func() *http.Request { return tokenRequest(paddedTokenRequest, basic(serviceID, servicePass)) })
	for _, tc := range worstTokenRequests {
		t.Run(tc.name, func(t *testing.T) {
			require.LessOrEqual(t, len(tc.body), bodyLimit)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, tokenRequest(tc.body, ""))
			assert.Equal(t, tc.status, rec.Code)
			assert.JSONEq(t, tc.want, rec.Body.String())
			got := bytesPerRequest(srv, func() *http.Request { return tokenRequest(tc.body, "") })
			assert.LessOrEqual(t, got, 2*padded, "bytes allocated: %d, padded request: %d", got, padded)
			t.Logf("%d bytes allocated; the padded request %d", got, padded)
		})
	}
}

// TestWorstCaseRequestsAtOtherEndpoints: revocation, introspection and the
// authorization endpoint (its query and its form body) refuse a request of
// more parameters than any request needs after counting them, with the exact
// error, and allocate no more than twice what a request padded to the same
// size with one ignored parameter does.
func TestWorstCaseRequestsAtOtherEndpoints(t *testing.T) {
	srv := newEdgeServer(t)
	authorize := "/oauth/authorize?response_type=code&client_id=" + publicID + "&code_challenge=" + testChallenge + "&code_challenge_method=S256"
	const tooMany = `{"error":"invalid_request","error_description":"too many parameters"}`
	tests := []struct {
		name, method, target, body string
		// worst replaces the padding of body (or of target when body is
		// empty) with many parameters.
		worst      string
		paddedCode int
		// wantJSON is the exact JSON error; "" means the error page.
		wantJSON string
	}{
		{"revocation", http.MethodPost, "/oauth/revoke", "token=kat_x", "&resource=a", http.StatusOK, tooMany},
		{"introspection", http.MethodPost, "/oauth/introspect", "token=kat_x", "&token_type_hint=a", http.StatusOK, tooMany},
		{"the authorization endpoint's query", http.MethodGet, authorize, "", "&resource=a", http.StatusFound, ""},
		{"the authorization endpoint's form", http.MethodPost, "/oauth/authorize", authorize[len("/oauth/authorize?"):], "&scope=a", http.StatusFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newRequest := func(pad string) func() *http.Request {
				return func() *http.Request {
					target, body := tc.target+pad, tc.body
					if body != "" {
						target, body = tc.target, body+pad
					}
					req := httptest.NewRequest(tc.method, target, strings.NewReader(body))
					if tc.method == http.MethodPost {
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					}
					req.Header.Set("Authorization", basic(serviceID, servicePass))
					req.RemoteAddr = "192.0.2.1:1234"
					return req
				}
			}
			size := bodyLimit - len(tc.body) - len(tc.target)
			padded, worst := newRequest(fill("&pad=", "a", size)), newRequest(fill("", tc.worst, size))

			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, padded())
			require.Equal(t, tc.paddedCode, rec.Code, rec.Body.String())
			rec = httptest.NewRecorder()
			srv.ServeHTTP(rec, worst())
			assert.Equal(t, http.StatusBadRequest, rec.Code)
			if tc.wantJSON != "" {
				assert.JSONEq(t, tc.wantJSON, rec.Body.String())
			} else {
				assert.Empty(t, rec.Header().Get("Location"))
				assert.Contains(t, rec.Body.String(), `<p id="error-description">too many parameters</p>`)
			}
			got, want := bytesPerRequest(srv, worst), bytesPerRequest(srv, padded)
			assert.LessOrEqual(t, got, 2*want, "bytes allocated: %d, padded request: %d", got, want)
		})
	}
}
