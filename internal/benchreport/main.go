// Command benchreport runs the benchmarks that the repository's performance
// goals are measured with, pairs each with its floor (the same request to a
// plain net/http handler, or that plus the unavoidable cryptography), and
// writes the figures as a table into README.md between two marker lines.
//
// Every figure is a ratio from one run: a benchmark and its floor run in the
// same go test invocation on the same machine. The rows it measures are
// listed in a table file (.ci/benchmarks.tsv); run it from the repository
// root with .ci/bench.
//
// Usage:
//
//	go run ./internal/benchreport -table .ci/benchmarks.tsv -readme README.md
//	go run ./internal/benchreport -table .ci/benchmarks.tsv -input saved.txt
//
// With -input it reads saved go test -bench output instead of running the
// benchmarks, and prints the table instead of writing README.md when -readme
// is empty.
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
	flag.Parse()
	if err := run(*table, *readme, *input, *benchtime, os.Stdout); err != nil {
		slog.Error("benchreport", "err", err)
		os.Exit(1)
	}
}

func run(tablePath, readmePath, inputPath, benchtime string, stdout io.Writer) error {
	raw, err := os.ReadFile(tablePath)
	if err != nil {
		return err
	}
	rows, err := parseTable(string(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", tablePath, err)
	}
	results := map[string]result{}
	var commands []string
	if inputPath != "" {
		out, err := os.ReadFile(inputPath)
		if err != nil {
			return err
		}
		results = parseOutput(string(out), "")
	} else {
		for _, pkg := range packages(rows) {
			cmd := benchCommand(pkg, benchNames(rows, pkg), benchtime)
			commands = append(commands, cmd.display)
			fmt.Fprintln(os.Stderr, "benchreport:", cmd.display)
			c := exec.Command("go", cmd.args...)
			c.Dir = cmd.dir
			c.Stderr = os.Stderr
			out, err := c.Output()
			if err != nil {
				return fmt.Errorf("%s: %w\n%s", cmd.display, err, out)
			}
			for name, r := range parseOutput(string(out), pkg) {
				results[name] = r
			}
		}
	}
	section := render(rows, results, commands, runtime.Version())
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

// command is one go test invocation: its arguments, the directory of the
// module it runs in, and how the report shows it.
type command struct {
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
	return command{args: args, dir: filepath.FromSlash(dir), display: display}
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
