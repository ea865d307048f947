package authserver

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/store"
)

// localeServer is a server with the built-in languages, Javanese and
// British English added by the host, and defaultLang as the default.
func localeServer(t testing.TB, defaultLang string) *Server {
	t.Helper()
	s, err := New(Config{
		Issuer: "https://auth.example.com",
		Browser: Browser{
			Session:         func(*http.Request) (Session, bool) { return Session{}, false },
			LoginURL:        "/login",
			DefaultLanguage: defaultLang,
			Texts: map[string]PageTexts{
				"jv":    {Allow: "Idinake"},
				"en-gb": {Allow: "Allow (GB)"},
			},
		},
	}, store.NewMemoryWithCleanup(0))
	require.NoError(t, err)
	return s
}

// languageRequest is a page request with the Accept-Language header lines
// acceptLanguage.
func languageRequest(t testing.TB, acceptLanguage ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://auth.example.com/oauth/authorize", nil)
	for _, v := range acceptLanguage {
		r.Header.Add("Accept-Language", v)
	}
	return r
}

func TestPageLanguageFromAcceptLanguage(t *testing.T) {
	s := localeServer(t, "")
	for _, tc := range []struct {
		name   string
		header []string
		want   string
	}{
		{"no header gives the default", nil, "en"},
		{"an empty header gives the default", []string{""}, "en"},
		{"a built-in language", []string{"id"}, "id"},
		{"a region finds its language", []string{"id-ID"}, "id"},
		{"case does not matter", []string{"ID-id"}, "id"},
		{"the withdrawn code in means Indonesian", []string{"in-ID"}, "id"},
		{"a region the host added is preferred to its language", []string{"en-GB"}, "en-GB"},
		{"another region finds the language", []string{"en-US"}, "en"},
		{"a language the host added", []string{"jv-ID"}, "jv"},
		{"the highest weight wins", []string{"en;q=0.5, id;q=0.8"}, "id"},
		{"a missing weight is 1", []string{"en;q=0.999, id"}, "id"},
		{"on a tie the earlier entry wins", []string{"id, en"}, "id"},
		{"on a tie the earlier entry wins, reversed", []string{"en, id"}, "en"},
		{"unknown languages are skipped", []string{"fr-FR, de;q=0.9, id;q=0.1"}, "id"},
		{"only unknown languages give the default", []string{"fr-FR, de;q=0.9"}, "en"},
		{"weight 0 is not acceptable", []string{"id;q=0, en;q=0.1"}, "en"},
		{"weight 0 alone gives the default", []string{"id;q=0"}, "en"},
		{"the wildcard is the default", []string{"fr, *;q=0.5"}, "en"},
		{"a better match beats the wildcard", []string{"*;q=0.5, id;q=0.6"}, "id"},
		{"spaces around the weight", []string{"fr ,\tid ; q=0.9 "}, "id"},
		{"Q in capitals", []string{"id;Q=0.5"}, "id"},
		{"empty list elements", []string{",, ,id,"}, "id"},
		{"header lines are one list", []string{"fr", "id;q=0.5"}, "id"},
		{"a weight above 1 is skipped", []string{"id;q=2, en;q=0.1"}, "en"},
		{"a weight with four decimals is skipped", []string{"id;q=0.1234, en;q=0.1"}, "en"},
		{"a weight that is not a number is skipped", []string{"id;q=abc, en;q=0.1"}, "en"},
		{"a weight without value is skipped", []string{"id;q=, en;q=0.1"}, "en"},
		{"another parameter is skipped", []string{"id;level=1, en;q=0.1"}, "en"},
		{"two weights are skipped", []string{"id;q=1;q=1, en;q=0.1"}, "en"},
		{"a malformed range is skipped", []string{"i_d, id-, -id, id--ID, <id>, en;q=0.1"}, "en"},
		{"a subtag longer than 8 is skipped", []string{"id-abcdefghi, en;q=0.1"}, "en"},
		{"a digit in the language is skipped", []string{"i1, en;q=0.1"}, "en"},
		{"non-ASCII is skipped", []string{"ïd, en;q=0.1"}, "en"},
		{"a private-use tag finds nothing", []string{"x-klingon"}, "en"},
		{"a single-letter subtag goes with its neighbour", []string{"id-x-jakarta"}, "id"},
		{"entries past the sixteenth are not read", []string{strings.Repeat("fr,", 16) + "id"}, "en"},
		{"the sixteenth entry is read", []string{strings.Repeat("fr,", 15) + "id"}, "id"},
		{"bytes past the bound are not read", []string{strings.Repeat(" ", maxAcceptLanguageLen) + ",id"}, "en"},
		{"an entry cut by the bound is dropped", []string{strings.Repeat(" ", maxAcceptLanguageLen-3) + ",jv-ID"}, "en"},
		{"an entry within the bound is read", []string{strings.Repeat(" ", maxAcceptLanguageLen-6) + ",jv-ID"}, "jv"},
		{"later header lines past the bound are not read", []string{strings.Repeat(" ", maxAcceptLanguageLen), "id"}, "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, s.pageLanguage(languageRequest(t, tc.header...), nil))
		})
	}
}

func TestPageLanguageFromUILocales(t *testing.T) {
	s := localeServer(t, "id")
	for _, tc := range []struct {
		name      string
		uiLocales []string
		header    string
		want      string
	}{
		{"ui_locales before Accept-Language", []string{"en"}, "id", "en"},
		{"the first language the pages have", []string{"fr", "jv", "en"}, "id", "jv"},
		{"a region finds its language", []string{"en-AU"}, "id", "en"},
		{"none the pages have: Accept-Language", []string{"fr", "de"}, "en", "en"},
		{"none the pages have and no header: the default", []string{"fr"}, "", "id"},
		{"malformed entries are skipped", []string{"<script>", "*", "e-n", "", "en"}, "id", "en"},
		{"entries past the sixteenth are not read", append(make([]string, 16), "en"), "", "id"},
		{"empty ui_locales: Accept-Language", []string{}, "en", "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := languageRequest(t)
			if tc.header != "" {
				r.Header.Set("Accept-Language", tc.header)
			}
			assert.Equal(t, tc.want, s.pageLanguage(r, tc.uiLocales))
		})
	}
}

// Choosing a language allocates nothing, whatever the header holds.
func TestPageLanguageDoesNotAllocate(t *testing.T) {
	s := localeServer(t, "")
	r := languageRequest(t, strings.Repeat("fr-FR;q=0.5, ", 10_000), "id")
	ui := []string{"fr", "de-DE", "zh-Hant-TW"}
	allocs := testing.AllocsPerRun(20, func() {
		if got := s.pageLanguage(r, ui); got != "en" {
			t.Errorf("language %q, want en", got)
		}
	})
	assert.Zero(t, allocs)
}

func TestQueryUILocales(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"none", "client_id=a", nil},
		{"one", "client_id=a&ui_locales=id", []string{"id"}},
		{"several, escaped", "ui_locales=id-ID+en%20fr&x=1", []string{"id-ID", "en", "fr"}},
		{"empty", "ui_locales=", []string{}},
		{"repeated", "ui_locales=id&ui_locales=en", nil},
		{"bad escape", "ui_locales=%zz", nil},
		{"control character", "ui_locales=id%0Aen", nil},
		{"too long", "ui_locales=" + strings.Repeat("a", maxHintLen+1), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "https://auth.example.com/oauth/authorize?"+tc.query, nil)
			assert.Equal(t, tc.want, queryUILocales(r))
		})
	}
}

func TestParseQValue(t *testing.T) {
	for v, want := range map[string]int{"0": 0, "1": 1000, "1.": 1000, "1.000": 1000, "0.5": 500, "0.05": 50, "0.123": 123, "0.": 0} {
		q, ok := parseQValue(v)
		assert.True(t, ok, v)
		assert.Equal(t, want, q, v)
	}
	for _, v := range []string{"", ".5", "2", "1.001", "1.5", "0.1234", "0,5", "0.5x", "-0", "01", "+1"} {
		_, ok := parseQValue(v)
		assert.False(t, ok, v)
	}
}

func TestCanonicalTag(t *testing.T) {
	for in, want := range map[string]string{
		"EN": "en", "en-gb": "en-GB", "ZH-hant-tw": "zh-Hant-TW", "sr-latn-rs": "sr-Latn-RS",
		"id": "id", "jv-ID": "jv-ID", "en-x-ab-cd": "en-x-ab-cd", "de-1996": "de-1996", "es-419": "es-419",
	} {
		got, ok := canonicalTag(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "e", "en_US", "en-", "-en", "en--gb", "123", "en-abcdefghi", "*", "x-private", strings.Repeat("a", 8) + strings.Repeat("-abcdefgh", 7)} {
		_, ok := canonicalTag(in)
		assert.False(t, ok, in)
	}
}

func TestTruncateTag(t *testing.T) {
	for in, want := range map[string]string{"zh-Hant-CN-x-private1": "zh-Hant-CN", "zh-Hant-CN": "zh-Hant", "zh": "", "en-a-bbb": "en"} {
		assert.Equal(t, want, truncateTag(in), in)
	}
}

// Every built-in language sets every text, and withFallback fills in every
// field, so a field added to PageTexts cannot be forgotten.
func TestBuiltinTextsAreComplete(t *testing.T) {
	typ := reflect.TypeFor[PageTexts]()
	for i := range typ.NumField() {
		require.Equal(t, reflect.String, typ.Field(i).Type.Kind(), "PageTexts.%s must be a string", typ.Field(i).Name)
	}
	builtin := builtinTexts()
	assert.Len(t, builtin, 2)
	for lang, texts := range builtin {
		v := reflect.ValueOf(texts)
		for i := range v.NumField() {
			assert.NotEmpty(t, v.Field(i).String(), "%s: %s", lang, typ.Field(i).Name)
		}
		assert.Equal(t, texts, PageTexts{}.withFallback(texts), lang)
		assert.Equal(t, texts, PageTexts{Allow: " "}.withFallback(texts), "%s: a blank text is empty", lang)
	}
	assert.NotEqual(t, builtin[LanguageEnglish], builtin[LanguageIndonesian])
}

func TestLanguagesAfterNew(t *testing.T) {
	s := localeServer(t, "JV")
	assert.Equal(t, "jv", s.cfg.Browser.DefaultLanguage)
	require.Len(t, s.cfg.Browser.Texts, 4)
	// A host language keeps the built-in texts of its primary language, or
	// else English, for the fields it leaves empty.
	assert.Equal(t, "Allow (GB)", s.cfg.Browser.Texts["en-GB"].Allow)
	assert.Equal(t, "Deny", s.cfg.Browser.Texts["en-GB"].Deny)
	assert.Equal(t, "Idinake", s.cfg.Browser.Texts["jv"].Allow)
	assert.Equal(t, "Deny", s.cfg.Browser.Texts["jv"].Deny)
	assert.Equal(t, "Tolak", s.cfg.Browser.Texts["id"].Deny)
}

func TestRedirectHost(t *testing.T) {
	for uri, want := range map[string]string{
		"https://app.example.com/callback":        "app.example.com",
		"https://app.example.com:8443/cb?x=1":     "app.example.com:8443",
		"http://127.0.0.1:51004/cb":               "127.0.0.1:51004",
		"http://[::1]/cb":                         "[::1]",
		"https://xn--bcher-kva.example/cb":        "xn--bcher-kva.example",
		"com.example.app:/oauth2redirect":         "com.example.app:",
		"https://evil.example/app.example.com/cb": "evil.example",
		"":    "",
		"%zz": "",
	} {
		assert.Equal(t, want, redirectHost(uri), uri)
	}
}
