package browsertest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pageWidths are the window widths every page is checked at: the narrowest
// the pages must fit without horizontal scrolling (WCAG 2.2 SC 1.4.10,
// 320 CSS px), and a desktop window.
var pageWidths = []int64{320, 1280}

// pageHeight is the height of the window; screenshots capture the whole
// page whatever it is.
const pageHeight = 800

// maxTabs bounds the Tab presses the keyboard check makes before it gives
// up: more than the consent page has controls and links.
const maxTabs = 30

// pageReport is what [pageReportJS] finds in a page.
type pageReport struct {
	Lang        string   `json:"lang"`
	ScrollWidth int64    `json:"scrollWidth"`
	InnerWidth  int64    `json:"innerWidth"`
	Controls    int      `json:"controls"`
	Unnamed     []string `json:"unnamed"`
}

// pageReportJS reads the page's language, its width against the window's,
// and its visible controls (input other than hidden, button, select,
// textarea) that have no accessible name: none of a non-empty aria-label,
// an aria-labelledby naming elements with text, a label element with
// text, or, for a button, its own text (a submit, reset or button input:
// its value).
const pageReportJS = `(() => {
	const text = (s) => (s || "").trim() !== "";
	const named = (el) => {
		if (text(el.getAttribute("aria-label"))) return true;
		const by = el.getAttribute("aria-labelledby");
		if (by && by.split(/\s+/).some((id) => { const l = document.getElementById(id); return l && text(l.textContent); })) return true;
		if (el.labels && Array.from(el.labels).some((l) => text(l.textContent))) return true;
		if (el.tagName === "BUTTON") return text(el.textContent);
		if (el.tagName === "INPUT" && ["submit", "reset", "button"].includes(el.type)) return text(el.value);
		return false;
	};
	const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
	const controls = Array.from(document.querySelectorAll("input, button, select, textarea"))
		.filter((el) => !(el.tagName === "INPUT" && el.type === "hidden") && visible(el));
	return {
		lang: document.documentElement.lang,
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: window.innerWidth,
		controls: controls.length,
		unnamed: controls.filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 200)),
	};
})()`

// artifactDir is where the screenshots go: $KUNCI_ARTIFACTS when set
// (CI uploads it), else a directory removed after the test.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KUNCI_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Logf("screenshots in %s", dir)
	return dir
}

// setAcceptLanguage makes the browser's tab send Accept-Language: lang
// with every request (RFC 9110 §12.5.4).
func setAcceptLanguage(lang string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Language": lang},
		})
		return err
	})
}

// setScripts switches the page's scripts on or off; off, the browser
// renders noscript content.
func setScripts(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	})
}

// checkPage checks the page the tab of ctx shows, named name, in the
// language lang at every width of [pageWidths]: <html lang>, an
// accessible name for every visible control (the page must have one
// when controls is true), and, at 320 px, no horizontal overflow. It saves a full-page screenshot name-lang-width.png
// in dir for each width, and leaves the window at 320 px.
func checkPage(t *testing.T, ctx context.Context, dir, name, lang string, controls bool) {
	t.Helper()
	for _, width := range []int64{pageWidths[1], pageWidths[0]} {
		shot := name + "-" + lang + "-" + strconv.FormatInt(width, 10)
		require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(width, pageHeight)), shot)
		rep, err := chromedp.Run(ctx, chromedp.Evaluate[pageReport](pageReportJS))
		require.NoError(t, err, shot)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err, shot)
		require.NoError(t, os.WriteFile(filepath.Join(dir, shot+".png"), png, 0o644), shot)

		assert.Equal(t, lang, rep.Lang, "%s: <html lang>", shot)
		if controls {
			assert.Positive(t, rep.Controls, "%s: the page has a visible control", shot)
		}
		assert.Empty(t, rep.Unnamed, "%s: controls without an accessible name", shot)
		assert.Equal(t, width, rep.InnerWidth, "%s: window width", shot)
		if width == pageWidths[0] {
			assert.LessOrEqual(t, rep.ScrollWidth, rep.InnerWidth, "%s: horizontal overflow at %d px", shot, width)
		}
	}
}

// tabTo presses Tab until the focused element matches the CSS selector
// sel, at most [maxTabs] times, and reports how many presses it took (0:
// never).
func tabTo(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	js := `(() => { const el = document.activeElement; return el !== null && el.matches(` + strconv.Quote(sel) + `); })()`
	for i := 1; i <= maxTabs; i++ {
		require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)))
		focused, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		require.NoError(t, err)
		if focused {
			return i
		}
	}
	return 0
}

// assertReportCatches proves that [pageReportJS] can fail: it adds to the
// page in the tab of ctx, at 320 px, a text field with no label, a button
// with no text, a labelled field, and a block wider than the window, and
// checks that the report names the first two and the overflow.
func assertReportCatches(t *testing.T, ctx context.Context) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(pageWidths[0], pageHeight)))
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		document.body.insertAdjacentHTML("beforeend",
			'<input type="text" id="bad-field"><button id="bad-button"></button>' +
			'<label>Name <input type="text" id="good-field"></label>' +
			'<div style="width: 2000px">wide</div>');
		return true;
	})()`))
	require.NoError(t, err)
	rep, err := chromedp.Run(ctx, chromedp.Evaluate[pageReport](pageReportJS))
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Controls)
	assert.Equal(t, []string{`<input type="text" id="bad-field">`, `<button id="bad-button"></button>`}, rep.Unnamed)
	assert.Greater(t, rep.ScrollWidth, rep.InnerWidth, "the overflow is seen")
}

// endSessionEndpoint returns the end_session_endpoint the demo's discovery
// document names (OpenID Connect Discovery 1.0 §3, RP-Initiated Logout
// 1.0 §2.1), empty when it names none.
func endSessionEndpoint(t *testing.T, s *site) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.base+"/.well-known/openid-configuration", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&meta))
	return meta.EndSession
}

// TestPagesInBothLanguages opens the server's pages in English and in
// Bahasa Indonesia (chosen by Accept-Language), each at 320 and 1280 px:
// the consent page, the error page of an authorization request from an
// unknown client, the form_post page (with scripts off, so it stays on
// screen and shows its noscript button) and, when the demo serves the
// end_session_endpoint, the logout confirmation page and, after it, the
// signed-out page. Each page must
// declare its language in <html lang>, give every visible control an
// accessible name and not scroll sideways at 320 px; a screenshot of each
// goes to $KUNCI_ARTIFACTS. At 320 px the consent page is also used with
// the keyboard alone: Tab reaches Allow and Enter submits it; on the
// form_post page, Tab and Enter on its button post the response, and on
// the logout page they sign out.
func TestPagesInBothLanguages(t *testing.T) {
	dir := artifactDir(t)
	for _, lang := range []string{"en", "id"} {
		t.Run(lang, func(t *testing.T) {
			s := newSite(t)
			ctx, requests := newBrowser(t)
			id := func(s string) chromedp.ID { return chromedp.ID(s) }

			// Consent: sign in first, on the demo's sign-in page, for an
			// OpenID Connect request answered by form_post.
			require.NoError(t, chromedp.Do(ctx,
				setAcceptLanguage(lang),
				chromedp.Navigate(s.authorizeURLWith("pages-"+lang, rand.Text()+rand.Text(), url.Values{
					"scope": {"openid basic_info"}, "response_mode": {"form_post"}, "nonce": {rand.Text()},
				})),
				chromedp.WaitVisible(id("username")),
			))
			// The demo's sign-in page speaks the language too.
			checkPage(t, ctx, dir, "signin", lang, true)
			require.NoError(t, chromedp.Do(ctx,
				chromedp.SendKeys(id("username"), userName),
				chromedp.SendKeys(id("password"), password),
				chromedp.Click(id("sign-in")),
				chromedp.WaitVisible(id("approve")),
			))
			checkPage(t, ctx, dir, "consent", lang, true)
			// The demo's scopes carry NU.ID's own Indonesian texts.
			wantScope := map[string]string{"en": "Read your name and email address", "id": "Mengakses info nama dan alamat email (read-only)"}[lang]
			page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			require.NoError(t, err)
			assert.Contains(t, page, wantScope)
			// The keyboard alone, from the top of the page (nothing on it
			// has had the focus yet).
			presses := tabTo(t, ctx, "#approve")
			assert.Positive(t, presses, "Tab never reached Allow on the consent page within %d presses", maxTabs)

			// form_post: Enter on Allow, with scripts off, so the page that
			// posts the response stays and shows its button.
			if presses > 0 {
				require.NoError(t, chromedp.Do(ctx,
					setScripts(false),
					chromedp.KeyEvent(kb.Enter),
					chromedp.WaitVisible(chromedp.CSS(`noscript button`)), // only the form_post page has one
				))
				checkPage(t, ctx, dir, "form_post", lang, true)
				assert.Empty(t, s.posted(), "scripts off: nothing is posted before the button")
				if assert.Positive(t, tabTo(t, ctx, `noscript button`), "Tab never reached the form_post page's button") {
					require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(id("done"))))
					posts := s.posted()
					if assert.Len(t, posts, 1, "the button posts the response once") {
						assert.Equal(t, "pages-"+lang, posts[0].Get("state"))
						assert.NotEmpty(t, posts[0].Get("code"))
					}
				}
				require.NoError(t, chromedp.Do(ctx, setScripts(true)))
			}

			// Error: an authorization request from an unknown client is
			// answered with a page, never a redirect (RFC 6749 §4.1.2.1).
			require.NoError(t, chromedp.Do(ctx,
				chromedp.Navigate(s.base+"/oauth/authorize?"+url.Values{
					"response_type": {"code"}, "client_id": {"no-such-client"}, "redirect_uri": {s.redirect},
				}.Encode()),
				chromedp.WaitVisible(id("error-code")),
			))
			code, err := chromedp.Run(ctx, chromedp.Text(id("error-code")))
			require.NoError(t, err)
			assert.Equal(t, "invalid_request", code)
			checkPage(t, ctx, dir, "error", lang, false)
			assertReportCatches(t, ctx)

			// Logout confirmation, when the demo serves the endpoint: the
			// user is signed in and the request has no id_token_hint.
			if end := endSessionEndpoint(t, s); end == "" {
				t.Log("the demo's discovery names no end_session_endpoint: logout page not checked")
			} else {
				require.NoError(t, chromedp.Do(ctx,
					chromedp.Navigate(end+"?"+url.Values{"client_id": {clientID}}.Encode()),
					chromedp.WaitVisible(id("logout")),
				))
				checkPage(t, ctx, dir, "logout", lang, true)
				// Signing out by the keyboard shows the signed-out page
				// (no post_logout_redirect_uri was sent).
				if assert.Positive(t, tabTo(t, ctx, "#logout"), "Tab never reached the logout button") {
					require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(id("signed-out"))))
					checkPage(t, ctx, dir, "signed_out", lang, false)
				}
			}
			assertOnlyLoopback(t, s, requests())
		})
	}
}
