// Command benchreport runs the benchmarks that the repository's performance
// goals are measured with, pairs each with its floor (the same request to a
// plain net/http handler, or that plus the unavoidable cryptography), and
// writes the figures as a table into README.md between two marker lines.
//
// Every ratio compares a benchmark with its floor from the same go test
// invocation on the same machine. It runs each package's go test command
// -rounds times (default 5), each time with -count 1, one package after the
// other within a round, so that a benchmark and its floor alternate between
// rounds instead of one running while the machine is busy and the other
// while it is quiet. Each round gives each row a ratio, the benchmark's
// ns/op over the sum of its floor's ns/op in that round; the table shows
// the median of those ratios and the medians of the ns/op and allocs. The
// median of an even number of rounds is the mean of the middle two. The
// rows it measures are listed in a table file (.ci/benchmarks.tsv); run it
// from the repository root with .ci/bench.
//
// Usage:
//
//	go run ./internal/benchreport -table .ci/benchmarks.tsv -readme README.md -rounds 5
//	go run ./internal/benchreport -table .ci/benchmarks.tsv -input saved.txt
//
// With -input it reads saved go test -bench output instead of running the
// benchmarks, and prints the table instead of writing README.md when -readme
// is empty. The file may hold several rounds concatenated: the k-th line of
// a benchmark belongs to round k, and -rounds is ignored. Names in such a
// file carry no package, so two packages must not share a benchmark name.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

func main() {
	table := flag.String("table", ".ci/benchmarks.tsv", "the table of benchmarks, floors and goals")
	readme := flag.String("readme", "", "the file whose marked section receives the table; empty prints it")
	input := flag.String("input", "", "saved go test -bench output to read instead of running the benchmarks")
	benchtime := flag.String("benchtime", "1s", "the -benchtime of each go test run")
	rounds := flag.Int("rounds", 5, "how many times to run each package's go test command; the table shows medians")
	flag.Parse()
	if err := run(*table, *readme, *input, *benchtime, *rounds, os.Stdout); err != nil {
		slog.Error("benchreport", "err", err)
		os.Exit(1)
	}
}

func run(tablePath, readmePath, inputPath, benchtime string, rounds int, stdout io.Writer) error {
	if inputPath == "" && rounds < 1 {
		return fmt.Errorf("-rounds %d: want at least 1", rounds)
	}
	raw, err := os.ReadFile(tablePath)
	if err != nil {
		return err
	}
	rows, err := parseTable(string(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", tablePath, err)
	}
	samples := map[string][]result{}
	var commands []command
	for _, pkg := range packages(rows) {
		commands = append(commands, benchCommand(pkg, benchNames(rows, pkg), benchtime))
	}
	var displays []string
	if inputPath != "" {
		out, err := os.ReadFile(inputPath)
		if err != nil {
			return err
		}
		samples = parseOutput(string(out), "")
	} else {
		for _, cmd := range commands {
			displays = append(displays, cmd.display)
		}
		for round := 1; round <= rounds; round++ {
			for _, cmd := range commands {
				fmt.Fprintf(os.Stderr, "benchreport: round %d of %d: %s\n", round, rounds, cmd.display)
				c := exec.Command("go", cmd.args...)
				c.Dir = cmd.dir
				c.Stderr = os.Stderr
				out, err := c.Output()
				if err != nil {
					return fmt.Errorf("round %d: %s: %w\n%s", round, cmd.display, err, out)
				}
				for name, rs := range parseOutput(string(out), cmd.pkg) {
					samples[name] = append(samples[name], rs...)
				}
			}
		}
	}
	section := render(rows, samples, displays, runtime.Version())
	if readmePath == "" {
		_, err := io.WriteString(stdout, section)
		return err
	}
	doc, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	updated, err := replaceSection(doc, section)
	if err != nil {
		return fmt.Errorf("%s: %w", readmePath, err)
	}
	return os.WriteFile(readmePath, updated, 0o644)
}

// command is one go test invocation: the table's package it runs, its
// arguments, the directory of the module it runs in, and how the report
// shows it.
type command struct {
	pkg     string
	args    []string
	dir     string
	display string
}

// benchCommand builds the go test run for one package. A package path
// holds a module directory and a package within it, separated by a colon
// ("store/redis:." or ".:./authserver").
func benchCommand(pkg string, names []string, benchtime string) command {
	dir, rel, _ := strings.Cut(pkg, ":")
	pattern := "^(" + strings.Join(names, "|") + ")$"
	args := []string{"test", "-run", "^$", "-bench", pattern, "-benchmem", "-count", "1", "-benchtime", benchtime, rel}
	display := "go " + strings.Join(quoteArgs(args), " ")
	if dir != "." {
		display = "(cd " + dir + " && " + display + ")"
	}
	return command{pkg: pkg, args: args, dir: filepath.FromSlash(dir), display: display}
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, "^$|()* ") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

// replaceSection puts section between the begin and end markers of doc.
func replaceSection(doc []byte, section string) ([]byte, error) {
	start := bytes.Index(doc, []byte(beginMarker))
	end := bytes.Index(doc, []byte(endMarker))
	if start < 0 || end < start {
		return nil, fmt.Errorf("no %q ... %q section", beginMarker, endMarker)
	}
	var b bytes.Buffer
	b.Write(doc[:start+len(beginMarker)])
	b.WriteString("\n")
	b.WriteString(section)
	b.Write(doc[end:])
	return b.Bytes(), nil
}
