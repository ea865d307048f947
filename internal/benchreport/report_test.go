package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleOutput = `goos: linux
goarch: amd64
pkg: github.com/kunci/kunci/authserver
BenchmarkTokenClientCredentials-2   	  300000	      4000 ns/op	    5000 B/op	      40 allocs/op
BenchmarkFloorTokenHandler-2        	  500000	      2000 ns/op	    3000 B/op	      30 allocs/op
BenchmarkSign/ES256-2               	  100000	     10000 ns/op	    2000 B/op	      20 allocs/op
BenchmarkTokenJWT/ES256-2           	   80000	     13200 ns/op	    9000 B/op	      60 allocs/op
PASS
ok  	github.com/kunci/kunci/authserver	5.0s
`

func TestParseOutput(t *testing.T) {
	res := parseOutput(sampleOutput, ".:./authserver")
	assert.Equal(t, map[string][]result{
		".:./authserver BenchmarkTokenClientCredentials": {{nsPerOp: 4000, bytesPerOp: 5000, allocsPerOp: 40}},
		".:./authserver BenchmarkFloorTokenHandler":      {{nsPerOp: 2000, bytesPerOp: 3000, allocsPerOp: 30}},
		".:./authserver BenchmarkSign/ES256":             {{nsPerOp: 10000, bytesPerOp: 2000, allocsPerOp: 20}},
		".:./authserver BenchmarkTokenJWT/ES256":         {{nsPerOp: 13200, bytesPerOp: 9000, allocsPerOp: 60}},
	}, res)
}

func TestParseTableErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "no rows"},
		{"# only a comment\n", "no rows"},
		{".:./a\tBenchmarkA\tBenchmarkB\t1.5\n", "line 1: want 5 tab-separated fields, have 4"},
		{"./a\tBenchmarkA\tBenchmarkB\t1.5\tx\n", `line 1: package "./a" must be module-dir:package`},
		{".:./a\tBenchmarkA\tBenchmarkB\tfast\tx\n", `line 1: goal "fast" is not a positive number or -`},
	} {
		_, err := parseTable(tc.in)
		assert.EqualError(t, err, tc.want, "input %q", tc.in)
	}
}

func TestRender(t *testing.T) {
	rows, err := parseTable(".:./authserver\tBenchmarkTokenClientCredentials\tBenchmarkFloorTokenHandler\t1.5\tissuance\n" +
		".:./authserver\tBenchmarkTokenJWT/ES256\tBenchmarkFloorTokenHandler+BenchmarkSign/ES256\t1.2\tJWT issuance\n" +
		".:./authserver\tBenchmarkGone\tBenchmarkFloorTokenHandler\t-\tnot run\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"BenchmarkTokenClientCredentials", "BenchmarkFloorTokenHandler", "BenchmarkTokenJWT", "BenchmarkSign", "BenchmarkGone"},
		benchNames(rows, ".:./authserver"))
	got := render(rows, parseOutput(sampleOutput, ".:./authserver"), []string{"go test x"}, "go1.26")
	assert.Equal(t, "| What | Benchmark | ns/op | allocs | Floor | ns/op | allocs | Ratio | Goal |\n"+
		"|---|---|---:|---:|---|---:|---:|---:|---|\n"+
		"| issuance | BenchmarkTokenClientCredentials | 4000 | 40 | BenchmarkFloorTokenHandler | 2000 | 30 | 2.00x | ≤ 1.50x missed |\n"+
		"| JWT issuance | BenchmarkTokenJWT/ES256 | 13200 | 60 | BenchmarkFloorTokenHandler + BenchmarkSign/ES256 | 12000 | 50 | 1.10x | ≤ 1.20x met |\n"+
		"| not run | BenchmarkGone | missing | | BenchmarkFloorTokenHandler | | | | - |\n"+
		"\nMeasured with go1.26 by `.ci/bench`, median of 1 round. "+measuredText+
		" Each round ran these once, in this order, so a benchmark and its floor alternate between rounds:\n\n```\ngo test x\n```\n", got)
}

func TestBenchCommand(t *testing.T) {
	c := benchCommand("store/redis:.", []string{"BenchmarkA", "BenchmarkB"}, "2s")
	assert.Equal(t, []string{"test", "-run", "^$", "-bench", "^(BenchmarkA|BenchmarkB)$", "-benchmem", "-count", "1", "-benchtime", "2s", "."}, c.args)
	assert.Equal(t, "store/redis:.", c.pkg)
	assert.Equal(t, filepath.FromSlash("store/redis"), c.dir)
	assert.Equal(t, "(cd store/redis && go test -run '^$' -bench '^(BenchmarkA|BenchmarkB)$' -benchmem -count 1 -benchtime 2s .)", c.display)
}

func TestRunWritesReadmeSection(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "t.tsv")
	input := filepath.Join(dir, "out.txt")
	readme := filepath.Join(dir, "README.md")
	require.NoError(t, os.WriteFile(table, []byte(".:./authserver\tBenchmarkTokenClientCredentials\tBenchmarkFloorTokenHandler\t1.5\tissuance\n"), 0o600))
	require.NoError(t, os.WriteFile(input, []byte(sampleOutput), 0o600))
	require.NoError(t, os.WriteFile(readme, []byte("# T\n\n"+beginMarker+"\nold\n"+endMarker+"\ntail\n"), 0o600))
	require.NoError(t, run(table, readme, input, "1s", 5, nil))
	got, err := os.ReadFile(readme)
	require.NoError(t, err)
	assert.Equal(t, "# T\n\n"+beginMarker+"\n"+
		"| What | Benchmark | ns/op | allocs | Floor | ns/op | allocs | Ratio | Goal |\n"+
		"|---|---|---:|---:|---|---:|---:|---:|---|\n"+
		"| issuance | BenchmarkTokenClientCredentials | 4000 | 40 | BenchmarkFloorTokenHandler | 2000 | 30 | 2.00x | ≤ 1.50x missed |\n"+
		"\nMedian of 1 round. "+measuredText+"\n"+
		endMarker+"\ntail\n", string(got))

	require.NoError(t, os.WriteFile(readme, []byte("no markers\n"), 0o600))
	assert.EqualError(t, run(table, readme, input, "1s", 5, nil), readme+`: no "`+beginMarker+`" ... "`+endMarker+`" section`)
}

// measuredText is the sentence under every table that says what its
// figures are.
const measuredText = "Each ratio is the median of the per-round ratios, a benchmark's ns/op over the sum of its floor's ns/op " +
	"in the same round; ns/op and allocs are medians of the rounds too (of an even number, the mean of the middle two), " +
	"so a ratio need not equal the quotient of the two ns/op shown."

// benchLine is one line of go test -bench output with GOMAXPROCS 2.
func benchLine(name string, ns, allocs int) string {
	return fmt.Sprintf("%s-2   \t  100000\t  %d ns/op\t  1000 B/op\t  %d allocs/op\n", name, ns, allocs)
}

// roundOutput is the output of one go test run holding the given
// benchmarks, in the order given, as name and ns/op pairs; the allocs of
// each are fixed by roundAllocs.
func roundOutput(benchmarks ...any) string {
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: github.com/kunci/kunci/authserver\n")
	for i := 0; i+1 < len(benchmarks); i += 2 {
		name := benchmarks[i].(string)
		b.WriteString(benchLine(name, benchmarks[i+1].(int), roundAllocs[name]))
	}
	b.WriteString("PASS\nok  \tgithub.com/kunci/kunci/authserver\t5.0s\n")
	return b.String()
}

var roundAllocs = map[string]int{
	"BenchmarkTokenClientCredentials": 40,
	"BenchmarkFloorTokenHandler":      30,
	"BenchmarkSign/ES256":             20,
	"BenchmarkTokenJWT/ES256":         60,
	"BenchmarkRefresh":                45,
}

const roundsTable = ".:./authserver\tBenchmarkTokenClientCredentials\tBenchmarkFloorTokenHandler\t1.5\tissuance\n" +
	".:./authserver\tBenchmarkTokenJWT/ES256\tBenchmarkFloorTokenHandler+BenchmarkSign/ES256\t1.2\tJWT issuance\n" +
	".:./authserver\tBenchmarkRefresh\tBenchmarkFloorTokenHandler\t-\trefresh\n" +
	".:./authserver\tBenchmarkGone\tBenchmarkFloorTokenHandler\t-\tnot run\n"

// threeRounds is three go test runs concatenated. The per-round ratios of
// issuance are 2.0, 3.0 and 2.0 (median 2.0) while the quotient of the
// medians, 5000 / 2000, is 2.5; those of JWT issuance are 1.1, 1.1 and 1.3
// over floors of 12000, 13000 and 12000. BenchmarkRefresh ran in the first
// two rounds only.
var threeRounds = roundOutput("BenchmarkTokenClientCredentials", 4000, "BenchmarkFloorTokenHandler", 2000,
	"BenchmarkSign/ES256", 10000, "BenchmarkTokenJWT/ES256", 13200, "BenchmarkRefresh", 3000) +
	roundOutput("BenchmarkTokenClientCredentials", 6000, "BenchmarkFloorTokenHandler", 2000,
		"BenchmarkSign/ES256", 11000, "BenchmarkTokenJWT/ES256", 14300, "BenchmarkRefresh", 5000) +
	roundOutput("BenchmarkTokenClientCredentials", 5000, "BenchmarkFloorTokenHandler", 2500,
		"BenchmarkSign/ES256", 9500, "BenchmarkTokenJWT/ES256", 15600)

// threeRoundsTable is the table that roundsTable and threeRounds give.
const threeRoundsTable = "| What | Benchmark | ns/op | allocs | Floor | ns/op | allocs | Ratio | Goal |\n" +
	"|---|---|---:|---:|---|---:|---:|---:|---|\n" +
	"| issuance | BenchmarkTokenClientCredentials | 5000 | 40 | BenchmarkFloorTokenHandler | 2000 | 30 | 2.00x | ≤ 1.50x missed |\n" +
	"| JWT issuance | BenchmarkTokenJWT/ES256 | 14300 | 60 | BenchmarkFloorTokenHandler + BenchmarkSign/ES256 | 12000 | 50 | 1.10x | ≤ 1.20x met |\n" +
	"| refresh | BenchmarkRefresh | 4000 | 45 | BenchmarkFloorTokenHandler | 2000 | 30 | 2.00x (2 of 3 rounds) | - |\n" +
	"| not run | BenchmarkGone | missing | | BenchmarkFloorTokenHandler | | | | - |\n"

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{7}, 7},
		{[]float64{3, 1, 2}, 2},
		{[]float64{5, 1, 4, 2, 3}, 3},
		{[]float64{4, 1}, 2.5},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{2, 2, 9, 2}, 2},
	} {
		in := slices.Clone(tc.in)
		assert.Equal(t, tc.want, median(in), "median of %v", tc.in)
		assert.Equal(t, tc.in, in, "median must not reorder its argument")
	}
}

func TestParseOutputRounds(t *testing.T) {
	res := parseOutput(threeRounds, "")
	assert.Equal(t, map[string][]result{
		"BenchmarkTokenClientCredentials": {
			{nsPerOp: 4000, bytesPerOp: 1000, allocsPerOp: 40},
			{nsPerOp: 6000, bytesPerOp: 1000, allocsPerOp: 40},
			{nsPerOp: 5000, bytesPerOp: 1000, allocsPerOp: 40},
		},
		"BenchmarkFloorTokenHandler": {
			{nsPerOp: 2000, bytesPerOp: 1000, allocsPerOp: 30},
			{nsPerOp: 2000, bytesPerOp: 1000, allocsPerOp: 30},
			{nsPerOp: 2500, bytesPerOp: 1000, allocsPerOp: 30},
		},
		"BenchmarkSign/ES256": {
			{nsPerOp: 10000, bytesPerOp: 1000, allocsPerOp: 20},
			{nsPerOp: 11000, bytesPerOp: 1000, allocsPerOp: 20},
			{nsPerOp: 9500, bytesPerOp: 1000, allocsPerOp: 20},
		},
		"BenchmarkTokenJWT/ES256": {
			{nsPerOp: 13200, bytesPerOp: 1000, allocsPerOp: 60},
			{nsPerOp: 14300, bytesPerOp: 1000, allocsPerOp: 60},
			{nsPerOp: 15600, bytesPerOp: 1000, allocsPerOp: 60},
		},
		"BenchmarkRefresh": {
			{nsPerOp: 3000, bytesPerOp: 1000, allocsPerOp: 45},
			{nsPerOp: 5000, bytesPerOp: 1000, allocsPerOp: 45},
		},
	}, res)
}

func TestMeasureOddRounds(t *testing.T) {
	rows, err := parseTable(roundsTable)
	require.NoError(t, err)
	samples := parseOutput(threeRounds, "")

	m, ok := measure(rows[0], samples)
	require.True(t, ok)
	assert.Equal(t, measurement{
		bench: result{nsPerOp: 5000, allocsPerOp: 40},
		floor: result{nsPerOp: 2000, allocsPerOp: 30},
		ratio: 2, rounds: 3,
	}, m, "the median ratio is 2.0 although 5000 / 2000 is 2.5")

	m, ok = measure(rows[1], samples)
	require.True(t, ok)
	assert.Equal(t, result{nsPerOp: 14300, allocsPerOp: 60}, m.bench)
	assert.Equal(t, result{nsPerOp: 12000, allocsPerOp: 50}, m.floor, "the floor is the median of the per-round sums")
	assert.InDelta(t, 1.1, m.ratio, 1e-9)
	assert.Equal(t, 3, m.rounds)

	m, ok = measure(rows[2], samples)
	require.True(t, ok)
	assert.Equal(t, measurement{
		bench: result{nsPerOp: 4000, allocsPerOp: 45},
		floor: result{nsPerOp: 2000, allocsPerOp: 30},
		ratio: 2, rounds: 2,
	}, m, "two rounds: the mean of 1.5 and 2.5")

	_, ok = measure(rows[3], samples)
	assert.False(t, ok)
}

func TestRenderOddRounds(t *testing.T) {
	rows, err := parseTable(roundsTable)
	require.NoError(t, err)
	got := render(rows, parseOutput(threeRounds, ""), []string{"go test a", "go test b"}, "go1.26")
	assert.Equal(t, threeRoundsTable+
		"\nMeasured with go1.26 by `.ci/bench`, median of 3 rounds. "+measuredText+
		" Each round ran these once, in this order, so a benchmark and its floor alternate between rounds:\n\n"+
		"```\ngo test a\ngo test b\n```\n", got)
}

// TestRenderEvenRounds checks that the median of four rounds is the mean
// of the middle two: the per-round ratios are 1.5, 2.0, 2.5 and 3.5, so
// the ratio is 2.25 (the lower middle would be 2.0, and the quotient of
// the medians, 4100 / 2000, is 2.05).
func TestRenderEvenRounds(t *testing.T) {
	rows, err := parseTable(roundsTable)
	require.NoError(t, err)
	var out string
	for _, ns := range [][2]int{{3000, 2000}, {3200, 1600}, {5000, 2000}, {8750, 2500}} {
		out += roundOutput("BenchmarkTokenClientCredentials", ns[0], "BenchmarkFloorTokenHandler", ns[1])
	}
	samples := parseOutput(out, "")
	m, ok := measure(rows[0], samples)
	require.True(t, ok)
	assert.Equal(t, measurement{
		bench: result{nsPerOp: 4100, allocsPerOp: 40},
		floor: result{nsPerOp: 2000, allocsPerOp: 30},
		ratio: 2.25, rounds: 4,
	}, m)

	got := render(rows[:1], samples, nil, "go1.26")
	assert.Equal(t, "| What | Benchmark | ns/op | allocs | Floor | ns/op | allocs | Ratio | Goal |\n"+
		"|---|---|---:|---:|---|---:|---:|---:|---|\n"+
		"| issuance | BenchmarkTokenClientCredentials | 4100 | 40 | BenchmarkFloorTokenHandler | 2000 | 30 | 2.25x | ≤ 1.50x missed |\n"+
		"\nMedian of 4 rounds. "+measuredText+"\n", got)
}

func TestRunReadsRoundsFromInput(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "t.tsv")
	input := filepath.Join(dir, "out.txt")
	require.NoError(t, os.WriteFile(table, []byte(roundsTable), 0o600))
	require.NoError(t, os.WriteFile(input, []byte(threeRounds), 0o600))
	var stdout strings.Builder
	require.NoError(t, run(table, "", input, "1s", 1, &stdout), "-rounds is ignored with -input")
	assert.Equal(t, threeRoundsTable+
		"\nMedian of 3 rounds. "+measuredText+"\n", stdout.String())
}

func TestRunRejectsZeroRounds(t *testing.T) {
	assert.EqualError(t, run("no-such-table.tsv", "", "", "1s", 0, nil), "-rounds 0: want at least 1")
}
