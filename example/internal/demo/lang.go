package demo

import (
	"strconv"
	"strings"
)

// The sign-in page speaks English and Bahasa Indonesia, chosen as the
// authorization server chooses for its own pages (OpenID Connect Core
// §3.1.2.1): the first language of the ui_locales the server passed to the
// login page that the page has, else the browser's most preferred one
// (Accept-Language, RFC 9110 §12.5.4), else English.

// loginTexts are the words of the sign-in page in one language.
type loginTexts struct {
	Title, Username, Password, SignIn, Cancel, Note, TooMany, Wrong string
}

// loginTextsByLang are the sign-in page's texts per language tag.
var loginTextsByLang = map[string]loginTexts{
	"en": {Title: "Sign in", Username: "Username", Password: "Password", SignIn: "Sign in", Cancel: "Cancel",
		Note: "Demo users are printed by go run ./example.", TooMany: "Too many failed sign-ins. Wait a minute and try again.",
		Wrong: "Wrong username or password."},
	"id": {Title: "Masuk", Username: "Nama pengguna", Password: "Kata sandi", SignIn: "Masuk", Cancel: "Batal",
		Note: "Pengguna demo dicetak oleh go run ./example.", TooMany: "Terlalu banyak percobaan masuk yang gagal. Tunggu satu menit, lalu coba lagi.",
		Wrong: "Nama pengguna atau kata sandi salah."},
}

// maxLanguageInput bounds the ui_locales and Accept-Language read.
const maxLanguageInput = 1024

// pageLanguage returns the sign-in page's language for uiLocales
// (space-separated tags) and acceptLanguage.
func pageLanguage(uiLocales, acceptLanguage string) string {
	if len(uiLocales) <= maxLanguageInput {
		for _, tag := range strings.Fields(uiLocales) {
			if lang, ok := knownLanguage(tag); ok {
				return lang
			}
		}
	}
	best, bestQ := "", 0.0
	if len(acceptLanguage) <= maxLanguageInput {
		for i, entry := range strings.Split(acceptLanguage, ",") {
			if i == 16 {
				break
			}
			tag, params, _ := strings.Cut(strings.TrimSpace(entry), ";")
			q := 1.0
			if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || f < 0 || f > 1 {
					continue
				}
				q = f
			}
			if lang, ok := knownLanguage(strings.TrimSpace(tag)); ok && q > bestQ {
				best, bestQ = lang, q
			}
		}
	}
	if best != "" {
		return best
	}
	return "en"
}

// knownLanguage maps a language tag to one the page has, by its primary
// subtag ("id-ID" is "id"; "in" is the old code of Indonesian).
func knownLanguage(tag string) (string, bool) {
	primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
	if primary == "in" {
		primary = "id"
	}
	_, ok := loginTextsByLang[primary]
	return primary, ok
}
