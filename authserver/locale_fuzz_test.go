package authserver

import (
	"strings"
	"testing"
)

// FuzzPageLanguage feeds arbitrary Accept-Language headers and ui_locales
// to the language policy: it must always choose a language the pages have,
// the same one every time, one that ui_locales names when any entry of it
// finds one, and the default when nothing finds one.
func FuzzPageLanguage(f *testing.F) {
	for _, seed := range []struct{ header, ui string }{
		{"", ""},
		{"id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7", ""},
		{"en;q=0.5, id;q=0.8", "fr jv"},
		{"*;q=0.1, fr", "in-ID"},
		{"id;q=1.0001, en;Q=0.000", "EN-gb zh-Hant-TW"},
		{",,;q=,=;,id ; q = 0.5", "x-klingon i-default"},
		{strings.Repeat("fr,", 20) + "id", "<script> * -"},
	} {
		f.Add(seed.header, seed.ui)
	}
	s := localeServer(f, "id")
	f.Fuzz(func(t *testing.T, header, ui string) {
		uiLocales := strings.Fields(ui)
		r := languageRequest(t, header)
		lang := s.pageLanguage(r, uiLocales)
		if _, ok := s.cfg.Browser.Texts[lang]; !ok {
			t.Fatalf("chose %q, which the pages do not have", lang)
		}
		if again := s.pageLanguage(r, uiLocales); again != lang {
			t.Fatalf("chose %q, then %q", lang, again)
		}
		for _, tag := range uiLocales[:min(len(uiLocales), maxLanguageRanges)] {
			if want, ok := lookupLanguage(tag, s.cfg.Browser.Texts); ok {
				if lang != want {
					t.Fatalf("ui_locales %q finds %q first, but the page is in %q", ui, want, lang)
				}
				return
			}
		}
		if _, ok := acceptLanguage(r.Header.Values("Accept-Language"), s.cfg.Browser.Texts, s.cfg.Browser.DefaultLanguage); !ok && lang != s.cfg.Browser.DefaultLanguage {
			t.Fatalf("nothing matched, yet the page is in %q", lang)
		}
		if canon, ok := canonicalTag(header); ok {
			if again, ok := canonicalTag(canon); !ok || again != canon || !strings.EqualFold(canon, header) {
				t.Fatalf("canonicalTag(%q) = %q, then %q", header, canon, again)
			}
		}
	})
}
