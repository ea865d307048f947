package authserver

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// checkLanguages checks the languages of the pages and fills them in:
// Browser.Texts becomes every language the server has (the built-in ones
// and the host's), each with every text set and keyed by its canonical tag
// (canonicalTag); Browser.DefaultLanguage becomes the canonical tag of the
// default, English when empty; and every scope's Descriptions is keyed by
// canonical tags, with the built-in translations of the scopes that OpenID
// Connect adds. It runs after checkOpenID, which adds those scopes.
func (c *Config) checkLanguages(p *problems) {
	builtin := builtinTexts()
	texts := builtinTexts()
	hostTag := map[string]string{} // canonical tag -> the key the host wrote
	for _, tag := range slices.Sorted(maps.Keys(c.Browser.Texts)) {
		field := fmt.Sprintf("Browser.Texts[%q]", tag)
		canon, ok := canonicalTag(tag)
		if !ok {
			p.add(field, "is not a well-formed language tag (RFC 5646 §2.1)")
			continue
		}
		if other, dup := hostTag[canon]; dup {
			p.add(field, "is the same language as Browser.Texts[%q]", other)
			continue
		}
		hostTag[canon] = tag
		texts[canon] = c.Browser.Texts[tag].withFallback(fallbackTexts(canon, builtin))
	}
	c.Browser.Texts = texts

	def := c.Browser.DefaultLanguage
	if def == "" {
		def = LanguageEnglish
	}
	if canon, ok := canonicalTag(def); ok && texts[canon] != (PageTexts{}) {
		c.Browser.DefaultLanguage = canon
	} else {
		p.add("Browser.DefaultLanguage", "%q is not a language the pages have: one of %s, or add it to Browser.Texts",
			def, strings.Join(slices.Sorted(maps.Keys(texts)), ", "))
		c.Browser.DefaultLanguage = LanguageEnglish
	}

	// A copy, so that filling in defaults never writes to the host's slice.
	c.Scopes = slices.Clone(c.Scopes)
	for i := range c.Scopes {
		c.Scopes[i].Descriptions = scopeDescriptions(p, c.Scopes[i], texts)
	}
}

// fallbackTexts are the built-in texts that fill in the empty fields of a
// host's language tag: those of tag itself or of a prefix of it (RFC 4647
// §3.4), else English.
func fallbackTexts(tag string, builtin map[string]PageTexts) PageTexts {
	for cand := tag; cand != ""; cand = truncateTag(cand) {
		if t, ok := builtin[cand]; ok {
			return t
		}
	}
	return builtin[LanguageEnglish]
}

// scopeDescriptions returns sc's Descriptions keyed by canonical tags, each
// a language of texts, with the built-in translations added when sc is a
// scope that OpenID Connect added (builtinOpenIDScopes) with its built-in
// Description; nil when there are none.
func scopeDescriptions(p *problems, sc Scope, texts map[string]PageTexts) map[string]string {
	out := map[string]string{}
	for _, tag := range slices.Sorted(maps.Keys(sc.Descriptions)) {
		text := sc.Descriptions[tag]
		canon, ok := canonicalTag(tag)
		switch _, dup := out[canon]; {
		case !ok:
			p.add("Scopes", "%q: Descriptions[%q] is not a well-formed language tag (RFC 5646 §2.1)", sc.Name, tag)
		case texts[canon] == (PageTexts{}):
			p.add("Scopes", "%q: Descriptions[%q] is in a language the pages do not have; add it to Browser.Texts", sc.Name, tag)
		case dup:
			p.add("Scopes", "%q: Descriptions[%q] is the same language as another key", sc.Name, tag)
		case strings.TrimSpace(text) == "":
			p.add("Scopes", "%q: Descriptions[%q] is empty", sc.Name, tag)
		default:
			out[canon] = text
		}
	}
	for _, b := range builtinOpenIDScopes {
		if b.Name != sc.Name || b.Description != sc.Description {
			continue
		}
		for lang, text := range builtinScopeDescriptions[sc.Name] {
			if _, set := out[lang]; !set {
				out[lang] = text
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// description returns sc's text in lang, a key of Browser.Texts:
// Descriptions[lang], else that of its shorter forms ("id" for "id-ID",
// as RFC 4647 §3.4 Lookup truncates), or else Description.
func (sc Scope) description(lang string) string {
	for tag := lang; tag != ""; tag = truncateTag(tag) {
		if d, ok := sc.Descriptions[tag]; ok {
			return d
		}
	}
	return sc.Description
}
