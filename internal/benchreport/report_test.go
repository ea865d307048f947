package main

import (
	"os"
	"path/filepath"
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
	assert.Equal(t, map[string]result{
		".:./authserver BenchmarkTokenClientCredentials": {nsPerOp: 4000, bytesPerOp: 5000, allocsPerOp: 40},
		".:./authserver BenchmarkFloorTokenHandler":      {nsPerOp: 2000, bytesPerOp: 3000, allocsPerOp: 30},
		".:./authserver BenchmarkSign/ES256":             {nsPerOp: 10000, bytesPerOp: 2000, allocsPerOp: 20},
		".:./authserver BenchmarkTokenJWT/ES256":         {nsPerOp: 13200, bytesPerOp: 9000, allocsPerOp: 60},
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
		"\nMeasured with go1.26 by `.ci/bench`, which ran:\n\n```\ngo test x\n```\n", got)
}

func TestBenchCommand(t *testing.T) {
	c := benchCommand("store/redis:.", []string{"BenchmarkA", "BenchmarkB"}, "2s")
	assert.Equal(t, []string{"test", "-run", "^$", "-bench", "^(BenchmarkA|BenchmarkB)$", "-benchmem", "-count", "1", "-benchtime", "2s", "."}, c.args)
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
	require.NoError(t, run(table, readme, input, "1s", nil))
	got, err := os.ReadFile(readme)
	require.NoError(t, err)
	assert.Equal(t, "# T\n\n"+beginMarker+"\n"+
		"| What | Benchmark | ns/op | allocs | Floor | ns/op | allocs | Ratio | Goal |\n"+
		"|---|---|---:|---:|---|---:|---:|---:|---|\n"+
		"| issuance | BenchmarkTokenClientCredentials | 4000 | 40 | BenchmarkFloorTokenHandler | 2000 | 30 | 2.00x | ≤ 1.50x missed |\n"+
		endMarker+"\ntail\n", string(got))

	require.NoError(t, os.WriteFile(readme, []byte("no markers\n"), 0o600))
	assert.EqualError(t, run(table, readme, input, "1s", nil), readme+`: no "`+beginMarker+`" ... "`+endMarker+`" section`)
}
