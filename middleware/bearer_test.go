package middleware

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

var parseBearerCases = []struct {
	name   string
	header string
	token  string
	result bearerResult
}{
	{"plain", "Bearer abc", "abc", bearerOK},
	{"lower case scheme", "bearer abc", "abc", bearerOK},
	{"upper case scheme", "BEARER abc", "abc", bearerOK},
	{"all b64token characters", "Bearer aZ09-._~+/==", "aZ09-._~+/==", bearerOK},
	{"many spaces", "Bearer     abc", "abc", bearerOK},
	{"surrounding whitespace", " \tBearer abc \t", "abc", bearerOK},
	{"empty", "", "", bearerAbsent},
	{"only whitespace", "  ", "", bearerAbsent},
	{"basic scheme", "Basic YWJj", "", bearerAbsent},
	{"scheme with bearer prefix", "Bearerx abc", "", bearerAbsent},
	{"other scheme alone", "Negotiate", "", bearerAbsent},
	{"bearer alone", "Bearer", "", bearerMalformed},
	{"bearer and spaces", "Bearer   ", "", bearerMalformed},
	{"tab separator", "Bearer\tabc", "", bearerMalformed},
	{"comma after scheme", "Bearer,abc", "", bearerMalformed},
	{"only padding", "Bearer ===", "", bearerMalformed},
	{"padding inside", "Bearer a=b", "", bearerMalformed},
	{"space inside", "Bearer a b", "", bearerMalformed},
	{"quote inside", `Bearer a"b`, "", bearerMalformed},
	{"non-ascii", "Bearer abé", "", bearerMalformed},
	{"no scheme", "=abc", "", bearerMalformed},
	{"auth-param syntax", `Bearer token="abc"`, "", bearerMalformed},
}

// parseBearer is what extractAny does with a Bearer header whose token the
// Verifier does not know: split it, then hold the token to the b64token
// rule.
func parseBearer(header string) (string, bearerResult) {
	token, res := splitCredentials(header, "Bearer")
	if res == bearerOK && !isB64token(token) {
		return "", bearerMalformed
	}
	return token, res
}

func TestParseBearer(t *testing.T) {
	t.Parallel()
	for _, tc := range parseBearerCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			token, res := parseBearer(tc.header)
			assert.Equal(t, tc.result, res)
			assert.Equal(t, tc.token, token)
		})
	}
}

func TestParseBearerDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = parseBearer("Bearer mF_9.B5f-4.1JqM")
	})
	assert.Zero(t, allocs)
}

// b64tokenRE is an independent statement of the RFC 6750 §2.1 grammar.
var b64tokenRE = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

func FuzzParseBearer(f *testing.F) {
	for _, tc := range parseBearerCases {
		f.Add(tc.header)
	}
	f.Fuzz(func(t *testing.T, header string) {
		token, res := parseBearer(header)
		switch res {
		case bearerOK:
			if !b64tokenRE.MatchString(token) {
				t.Fatalf("accepted token %q outside the b64token grammar", token)
			}
			h := strings.Trim(header, " \t")
			if len(h) < 7 || !strings.EqualFold(h[:6], "bearer") || !strings.HasSuffix(h, token) {
				t.Fatalf("token %q is not the tail of a Bearer header %q", token, header)
			}
			again, res2 := parseBearer("Bearer " + token)
			if res2 != bearerOK || again != token {
				t.Fatalf("round trip of %q gave %q, %v", token, again, res2)
			}
		case bearerAbsent, bearerMalformed:
			if token != "" {
				t.Fatalf("result %v with a token %q", res, token)
			}
		default:
			t.Fatalf("unknown result %v", res)
		}
		if res != bearerOK && b64tokenRE.MatchString(strings.TrimLeft(header[min(len(header), 7):], " ")) &&
			len(header) > 7 && header[:7] == "Bearer " {
			t.Fatalf("rejected a well-formed header %q", header)
		}
	})
}

// TestIsB64charMatchesGrammar checks the b64chars table against the RFC 6750 §2.1
// character list for every byte.
func TestIsB64charMatchesGrammar(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		want := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
			strings.ContainsRune("-._~+/", rune(c))
		assert.Equal(t, want, isB64char(byte(c)), "byte %#x", c)
	}
}

// TestIsB64tokenMatchesGrammar checks isB64token against b64tokenRE for
// every string of up to two bytes and for padding in every place.
func TestIsB64tokenMatchesGrammar(t *testing.T) {
	t.Parallel()
	check := func(s string) {
		if got, want := isB64token(s), b64tokenRE.MatchString(s); got != want {
			t.Errorf("isB64token(%q) = %v, want %v", s, got, want)
		}
	}
	check("")
	for a := range 256 {
		check(string([]byte{byte(a)}))
		for b := range 256 {
			check(string([]byte{byte(a), byte(b)}))
		}
	}
	for _, s := range []string{"=", "==", "a=", "a==", "=a", "a=b", "a=b=", "ab==c", "a b=", "a=\x00", strings.Repeat("x", 600) + "=", strings.Repeat("x", 599) + "\xff"} {
		check(s)
	}
}

// TestIsTcharMatchesGrammar checks the tchars table against the RFC 9110
// §5.6.2 tchar list for every byte.
func TestIsTcharMatchesGrammar(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		want := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
			strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c))
		assert.Equal(t, want, isTchar(byte(c)), "byte %#x", c)
	}
}
