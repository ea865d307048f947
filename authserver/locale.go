package authserver

import (
	"net/http"
	"net/url"
	"strings"
)

// The language of a page.
//
// Every page the server renders picks its language by one policy,
// pageLanguage: the first language of the request's ui_locales (OpenID
// Connect Core §3.1.2.1, in order of preference) that the server has texts
// for; else the language of Accept-Language (RFC 9110 §12.5.4) with the
// highest weight that the server has texts for; else
// Browser.DefaultLanguage. A tag matches a language of the server as RFC
// 4647 §3.4 Lookup does: "id-ID" finds "id" when there is no "id-ID", case
// does not matter, and the withdrawn code "in" means Indonesian.
// Malformed entries are skipped, never an error: the preferences are a
// hint, and an unknown or broken one leaves the page in the default
// language.
//
// The work is bounded: at most maxLanguageRanges entries of ui_locales and
// of Accept-Language are looked at, and of Accept-Language at most
// maxAcceptLanguageLen bytes; each is compared with each of the server's
// languages without allocating.

const (
	// maxLanguageRanges bounds the entries read from ui_locales and from
	// Accept-Language.
	maxLanguageRanges = 16
	// maxAcceptLanguageLen bounds the bytes of Accept-Language read, over
	// all its header lines; an entry cut by the bound is dropped.
	maxAcceptLanguageLen = 1024
	// maxLanguageTagLen bounds one language tag or range; RFC 5646 §4.4.1
	// asks every implementation to handle 35 characters.
	maxLanguageTagLen = 64
)

// pageLocale chooses the language of a page for r, with uiLocales the
// request's ui_locales (nil when it has none), and returns the language's
// tag and texts. See "The language of a page" above.
func (s *Server) pageLocale(r *http.Request, uiLocales []string) (string, PageTexts) {
	lang := s.pageLanguage(r, uiLocales)
	return lang, s.cfg.Browser.Texts[lang]
}

// pageLanguage is the language policy of every page (see above): it
// returns a key of Browser.Texts, which New filled in with every language
// the server has.
func (s *Server) pageLanguage(r *http.Request, uiLocales []string) string {
	langs := s.cfg.Browser.Texts
	for i, tag := range uiLocales {
		if i == maxLanguageRanges {
			break
		}
		if lang, ok := lookupLanguage(tag, langs); ok {
			return lang
		}
	}
	if lang, ok := acceptLanguage(r.Header.Values("Accept-Language"), langs, s.cfg.Browser.DefaultLanguage); ok {
		return lang
	}
	return s.cfg.Browser.DefaultLanguage
}

// setLanguageHeaders says in the response headers which language the page
// is in (RFC 9110 §8.5) and that Accept-Language chose it (§12.5.5).
func setLanguageHeaders(h http.Header, lang string) {
	h.Set("Content-Language", lang)
	h.Add("Vary", "Accept-Language")
}

// queryUILocales returns the ui_locales of r's query, for the pages shown
// before a pending request holds them (an error page of the authorization
// endpoint, say): nil when the query has none, more than one, or one that
// is not a valid ui_locales value (see checkInteraction). It reads the
// query's raw pairs without parsing the whole query.
func queryUILocales(r *http.Request) []string {
	var found []string
	rest := r.URL.RawQuery
	for n := 0; rest != "" && n < maxParams; n++ {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		key, value, _ := strings.Cut(pair, "=")
		if key != "ui_locales" {
			continue
		}
		if found != nil {
			return nil
		}
		v, err := url.QueryUnescape(value)
		if err != nil || len(v) > maxHintLen || !vschar(v) {
			return nil
		}
		found = strings.Fields(v)
		if found == nil {
			found = []string{}
		}
	}
	return found
}

// acceptLanguage returns the language of langs that the Accept-Language
// header lines values prefer most: the one matched by the entry with the
// highest weight, the earlier entry on a tie. "*" stands for def. Entries
// with weight 0 (not acceptable, RFC 9110 §12.4.2) and malformed entries
// are skipped; ok is false when no entry matches.
func acceptLanguage(values []string, langs map[string]PageTexts, def string) (lang string, ok bool) {
	budget, entries := maxAcceptLanguageLen, 0
	bestQ := 0
	for _, v := range values {
		if budget <= 0 || entries >= maxLanguageRanges {
			break
		}
		cut := len(v) > budget
		if cut {
			v = v[:budget]
		}
		budget -= len(v)
		for v != "" && entries < maxLanguageRanges {
			elem, rest, more := strings.Cut(v, ",")
			v = rest
			if cut && !more {
				break // the bound cut this entry
			}
			elem = strings.Trim(elem, " \t")
			if elem == "" {
				continue // empty list elements are allowed (RFC 9110 §5.6.1)
			}
			entries++
			tag, q, valid := parseLanguageRange(elem)
			if !valid || q <= bestQ {
				continue
			}
			match, found := def, true
			if tag != "*" {
				match, found = lookupLanguage(tag, langs)
			}
			if found {
				lang, bestQ, ok = match, q, true
			}
		}
	}
	return lang, ok
}

// parseLanguageRange parses one element of Accept-Language (RFC 9110
// §12.5.4): a language range (RFC 4647 §2.1) with an optional weight, which
// it returns in thousandths (1000 when absent).
func parseLanguageRange(elem string) (tag string, q int, ok bool) {
	tag, params, hasParams := strings.Cut(elem, ";")
	tag = strings.TrimRight(tag, " \t")
	if tag != "*" && !wellFormedTag(tag, true) {
		return "", 0, false
	}
	if !hasParams {
		return tag, 1000, true
	}
	name, value, _ := strings.Cut(strings.Trim(params, " \t"), "=")
	if !strings.EqualFold(name, "q") {
		return "", 0, false
	}
	q, ok = parseQValue(value)
	return tag, q, ok
}

// parseQValue parses a weight (RFC 9110 §12.4.2): "0" or "1", optionally
// followed by "." and up to three digits, at most 1; in thousandths.
func parseQValue(v string) (int, bool) {
	if v == "" || len(v) > 5 || (v[0] != '0' && v[0] != '1') {
		return 0, false
	}
	q := int(v[0]-'0') * 1000
	if len(v) > 1 {
		if v[1] != '.' {
			return 0, false
		}
		scale := 100
		for _, c := range []byte(v[2:]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			q += int(c-'0') * scale
			scale /= 10
		}
	}
	if q > 1000 {
		return 0, false
	}
	return q, true
}

// lookupLanguage finds the language of langs that tag asks for, as RFC 4647
// §3.4 Lookup does: tag itself, then tag with its last subtag removed (and
// a single-character subtag left before it with it), and so on; case does
// not matter. The primary subtag "in", withdrawn from ISO 639 for "id",
// finds Indonesian too. A malformed tag finds nothing.
func lookupLanguage(tag string, langs map[string]PageTexts) (string, bool) {
	if !wellFormedTag(tag, true) {
		return "", false
	}
	for cand := tag; cand != ""; cand = truncateTag(cand) {
		for lang := range langs {
			if strings.EqualFold(lang, cand) {
				return lang, true
			}
		}
		if strings.EqualFold(cand, "in") {
			if _, ok := langs[LanguageIndonesian]; ok {
				return LanguageIndonesian, true
			}
		}
	}
	return "", false
}

// truncateTag removes tag's last subtag, and a single-character subtag
// that would then end it (RFC 4647 §3.4); "" when tag has one subtag.
func truncateTag(tag string) string {
	i := strings.LastIndexByte(tag, '-')
	if i < 0 {
		return ""
	}
	tag = tag[:i]
	if j := strings.LastIndexByte(tag, '-'); j >= 0 && j == len(tag)-2 {
		tag = tag[:j]
	}
	return tag
}

// wellFormedTag reports whether tag has the shape of a language tag
// (RFC 5646 §2.1) or, with isRange, of a basic language range (RFC 4647
// §2.1): subtags of one to eight letters and digits separated by hyphens,
// the first of letters only, two to eight of them (one to eight in a
// range, which may start with "x" or "i"), at most maxLanguageTagLen
// characters in all. It does not check the subtag registry.
func wellFormedTag(tag string, isRange bool) bool {
	if tag == "" || len(tag) > maxLanguageTagLen {
		return false
	}
	first := true
	for sub := range strings.SplitSeq(tag, "-") {
		if sub == "" || len(sub) > 8 {
			return false
		}
		for _, c := range []byte(sub) {
			switch {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			case '0' <= c && c <= '9' && !first:
			default:
				return false
			}
		}
		if first && len(sub) < 2 && !isRange {
			return false
		}
		first = false
	}
	return true
}

// canonicalTag returns tag in the case RFC 5646 §2.1.1 recommends: the
// language in lower case, a four-letter script in title case, a two-letter
// region in upper case, everything after a singleton in lower case. ok is
// false for a malformed tag.
func canonicalTag(tag string) (string, bool) {
	if !wellFormedTag(tag, false) {
		return "", false
	}
	var b strings.Builder
	afterSingleton := false
	for i, sub := range strings.Split(strings.ToLower(tag), "-") {
		if i > 0 {
			b.WriteByte('-')
		}
		switch {
		case i == 0 || afterSingleton:
		case len(sub) == 1:
			afterSingleton = true
		case len(sub) == 2 && isLetters(sub):
			sub = strings.ToUpper(sub)
		case len(sub) == 4 && isLetters(sub):
			sub = strings.ToUpper(sub[:1]) + sub[1:]
		}
		b.WriteString(sub)
	}
	return b.String(), true
}

// isLetters reports whether s is made of ASCII letters only.
func isLetters(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
