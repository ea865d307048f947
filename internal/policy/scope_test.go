package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestValidScopeToken checks every byte against an independent statement of
// the RFC 6749 §3.3 character set.
func TestValidScopeToken(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		want := c == 0x21 || (0x23 <= c && c <= 0x5b) || (0x5d <= c && c <= 0x7e)
		assert.Equal(t, want, ValidScopeToken(string([]byte{byte(c)})), "byte %#x", c)
		assert.Equal(t, want, ValidScopeToken("read"+string([]byte{byte(c)})+"write"), "byte %#x inside", c)
	}
	assert.False(t, ValidScopeToken(""))
	assert.True(t, ValidScopeToken("https://api.example.com/read:all"))
	assert.False(t, ValidScopeToken("é"))
}

func TestParseScope(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want []string
		ok   bool
	}{
		{"empty is no scope", "", nil, true},
		{"one token", "read", []string{"read"}, true},
		{"several tokens keep their order", "write read basic_info", []string{"write", "read", "basic_info"}, true},
		{"duplicates are dropped, the first kept", "read write read write", []string{"read", "write"}, true},
		{"case matters", "read READ", []string{"read", "READ"}, true},
		{"two spaces are refused", "read  write", nil, false},
		{"a leading space is refused", " read", nil, false},
		{"a trailing space is refused", "read ", nil, false},
		{"only a space is refused", " ", nil, false},
		{"a tab separator is refused", "read\twrite", nil, false},
		{"a plus separator is a token character", "read+write", []string{"read+write"}, true},
		{"a comma is a token character", "read,write", []string{"read,write"}, true},
		{"a quote is refused", `read "write"`, nil, false},
		{"a backslash is refused", `read\write`, nil, false},
		{"a newline is refused", "read\nwrite", nil, false},
		{"non-ASCII is refused", "lecture écriture", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseScope(tc.in)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseScopeLimits(t *testing.T) {
	t.Parallel()
	longest := strings.Repeat("a", MaxScopeLen)
	got, ok := ParseScope(longest)
	assert.True(t, ok)
	assert.Equal(t, []string{longest}, got)
	_, ok = ParseScope(longest + "a")
	assert.False(t, ok, "one byte over MaxScopeLen")

	tokens := make([]string, MaxScopes)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("s%02d", i)
	}
	got, ok = ParseScope(strings.Join(tokens, " "))
	assert.True(t, ok)
	assert.Equal(t, tokens, got)
	_, ok = ParseScope(strings.Join(append(tokens, "t"), " "))
	assert.False(t, ok, "one token over MaxScopes")

	// The count is taken before duplicates are removed.
	same := strings.TrimSuffix(strings.Repeat("a ", MaxScopes), " ")
	got, ok = ParseScope(same)
	assert.True(t, ok)
	assert.Equal(t, []string{"a"}, got)
	_, ok = ParseScope(same + " a")
	assert.False(t, ok, "MaxScopes+1 copies of one token")
}

func TestUnique(t *testing.T) {
	t.Parallel()
	got, ok := Unique(nil, MaxResources)
	assert.True(t, ok)
	assert.Nil(t, got)
	got, ok = Unique([]string{}, MaxResources)
	assert.True(t, ok)
	assert.Nil(t, got)

	in := []string{"https://b.example/", "https://a.example/", "https://b.example/", "", ""}
	got, ok = Unique(in, 5)
	assert.True(t, ok)
	assert.Equal(t, []string{"https://b.example/", "https://a.example/", ""}, got)
	assert.Equal(t, []string{"https://b.example/", "https://a.example/", "https://b.example/", "", ""}, in, "the input is not changed")
	got[0] = "changed"
	assert.Equal(t, "https://b.example/", in[0], "the result does not share the input's array")

	// More than max entries is refused even when they are all the same.
	same := slices.Repeat([]string{"https://a.example/"}, MaxResources+1)
	got, ok = Unique(same, MaxResources)
	assert.False(t, ok)
	assert.Nil(t, got)
	got, ok = Unique(same[:MaxResources], MaxResources)
	assert.True(t, ok)
	assert.Equal(t, []string{"https://a.example/"}, got)
}

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"", "read", "read write read", "a  b", " a", "a\tb", `a"b`, strings.Repeat("a ", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseScope(s)
		parts := strings.Split(s, " ")
		if !ok {
			if got != nil {
				t.Fatalf("refused %q but returned %q", s, got)
			}
			wellFormed := s != "" && len(s) <= MaxScopeLen && len(parts) <= MaxScopes
			for _, p := range parts {
				wellFormed = wellFormed && ValidScopeToken(p)
			}
			if wellFormed {
				t.Fatalf("refused a well-formed scope %q", s)
			}
			return
		}
		if s == "" {
			if got != nil {
				t.Fatalf("empty scope gave %q", got)
			}
			return
		}
		if len(s) > MaxScopeLen || len(parts) > MaxScopes {
			t.Fatalf("accepted %q beyond the limits", s)
		}
		seen := map[string]bool{}
		var firsts []string
		for _, p := range parts {
			if !ValidScopeToken(p) {
				t.Fatalf("accepted %q with the bad token %q", s, p)
			}
			if !seen[p] {
				seen[p] = true
				firsts = append(firsts, p)
			}
		}
		if !slices.Equal(got, firsts) {
			t.Fatalf("ParseScope(%q) = %q, want %q", s, got, firsts)
		}
	})
}

// BenchmarkParseScope compares a typical scope parameter with the costliest
// one the limits allow (MaxScopes distinct tokens filling MaxScopeLen, so
// duplicate removal does the most comparisons) and with inputs the limits
// refuse: the limits are checked first, so no input costs more than
// "largest".
func BenchmarkParseScope(b *testing.B) {
	tokens := make([]string, MaxScopes)
	for i := range tokens {
		tokens[i] = strings.Repeat("x", MaxScopeLen/MaxScopes-3) + string(rune('A'+i/26)) + string(rune('a'+i%26))
	}
	for _, bc := range []struct{ name, in string }{
		{"typical", "openid profile basic_info"},
		{"largest", strings.Join(tokens, " ")},
		{"too many tokens", strings.TrimSuffix(strings.Repeat("a ", MaxScopeLen/2), " ")},
		{"too long", strings.Repeat("a ", 20000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ParseScope(bc.in)
			}
		})
	}
}
