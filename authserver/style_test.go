package authserver

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	paletteRe  = regexp.MustCompile(`:root\{([^}]*)\}`)
	colorRe    = regexp.MustCompile(`^(--[a-z-]+):#([0-9a-f]{6})$`)
	contrastRe = regexp.MustCompile(`contrast: (--[a-z-]+) on (--[a-z-]+) ([0-9]+\.[0-9]{2}):1 (text|ui)`)
	literalRe  = regexp.MustCompile(`(?i)#[0-9a-f]{3,8}\b|\b(rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(`)
)

// relativeLuminance is the relative luminance of an sRGB color given as six
// hex digits (WCAG 2.2, "relative luminance", with the sRGB threshold
// 0.04045).
func relativeLuminance(t *testing.T, hex string) float64 {
	t.Helper()
	v, err := strconv.ParseUint(hex, 16, 32)
	require.NoError(t, err)
	channel := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(v>>16&0xff) + 0.7152*channel(v>>8&0xff) + 0.0722*channel(v&0xff)
}

// contrastRatio is the WCAG 2.2 contrast ratio of two colors, (L1 + 0.05) /
// (L2 + 0.05) with L1 the lighter.
func contrastRatio(t *testing.T, a, b string) float64 {
	la, lb := relativeLuminance(t, a), relativeLuminance(t, b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

func TestContrastRatioMatchesWCAGExamples(t *testing.T) {
	assert.InDelta(t, 21.0, contrastRatio(t, "000000", "ffffff"), 1e-9)
	assert.InDelta(t, 1.0, contrastRatio(t, "777777", "777777"), 1e-9)
	// #767676 on white is the lightest gray that passes 4.5:1.
	assert.InDelta(t, 4.54, contrastRatio(t, "767676", "ffffff"), 0.005)
	assert.Less(t, contrastRatio(t, "777777", "ffffff"), 4.5)
}

// The stylesheet's palette is fixed, every color in it is used only through
// its custom property, and every ratio written beside it is the true one
// rounded down, meeting WCAG 2.2 AA: 4.5:1 for text, 3:1 for controls and
// focus (SC 1.4.3, 1.4.11).
func TestStylesheetContrastRatios(t *testing.T) {
	raw, err := templateFS.ReadFile("templates/style.html")
	require.NoError(t, err)
	css := string(raw)

	root := paletteRe.FindStringSubmatch(css)
	require.Len(t, root, 2, "the stylesheet declares its palette in :root")
	palette := map[string]string{}
	for decl := range strings.SplitSeq(root[1], ";") {
		m := colorRe.FindStringSubmatch(decl)
		require.Len(t, m, 3, "palette entry %q is a custom property with a six-digit color", decl)
		palette[m[1]] = m[2]
	}
	require.NotEmpty(t, palette)

	rest := strings.Replace(css, root[0], "", 1)
	rules := rest[strings.Index(rest, "*/")+2:] // the rules after the comment
	assert.Empty(t, literalRe.FindAllString(rules, -1), "colors appear only in the palette")
	for _, use := range regexp.MustCompile(`var\((--[a-z-]+)\)`).FindAllStringSubmatch(rules, -1) {
		assert.Contains(t, palette, use[1], "a rule uses a color outside the palette")
	}

	pairs := contrastRe.FindAllStringSubmatch(css, -1)
	require.NotEmpty(t, pairs)
	checked := map[string]bool{}
	for _, m := range pairs {
		fg, bg, written, kind := m[1], m[2], m[3], m[4]
		require.Contains(t, palette, fg)
		require.Contains(t, palette, bg)
		ratio := contrastRatio(t, palette[fg], palette[bg])
		assert.Equal(t, strconv.FormatFloat(math.Floor(ratio*100)/100, 'f', 2, 64), written, "%s on %s", fg, bg)
		need := 4.5
		if kind == "ui" {
			need = 3
		}
		assert.GreaterOrEqual(t, ratio, need, "%s on %s (%s)", fg, bg, kind)
		checked[fg], checked[bg] = true, true
	}
	for name := range palette {
		assert.True(t, checked[name], "palette color %s has no measured pair", name)
	}
	assert.Equal(t, strings.Count(css, "contrast:"), len(pairs), "every contrast line is well formed")
}
