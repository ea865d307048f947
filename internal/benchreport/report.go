package main

import (
	"bufio"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The lines of README.md between which the table goes.
const (
	beginMarker = "<!-- benchreport:begin -->"
	endMarker   = "<!-- benchreport:end -->"
)

// row is one line of the table file: a benchmark, the floor it is compared
// with (one benchmark, or several whose times add up), and the goal, the
// largest ratio the issue that set it accepts (zero when none).
type row struct {
	pkg   string
	bench string
	floor []string
	goal  float64
	what  string
}

// result is one benchmark's figures from one round.
type result struct {
	nsPerOp     float64
	allocsPerOp float64
	bytesPerOp  float64
}

// parseTable reads the table file: one row per line, tab-separated fields
// package, benchmark, floor, goal and description; "#" starts a comment.
// The floor may be "a+b" to add the times of several benchmarks, and the
// goal "-" for none.
func parseTable(s string) ([]row, error) {
	var rows []row
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("line %d: want 5 tab-separated fields, have %d", i+1, len(f))
		}
		r := row{pkg: f[0], bench: f[1], floor: strings.Split(f[2], "+"), what: f[4]}
		if !strings.Contains(r.pkg, ":") {
			return nil, fmt.Errorf("line %d: package %q must be module-dir:package", i+1, r.pkg)
		}
		if f[3] != "-" {
			g, err := strconv.ParseFloat(f[3], 64)
			if err != nil || g <= 0 {
				return nil, fmt.Errorf("line %d: goal %q is not a positive number or -", i+1, f[3])
			}
			r.goal = g
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no rows")
	}
	return rows, nil
}

// packages lists the packages of rows, each once, in table order.
func packages(rows []row) []string {
	var out []string
	for _, r := range rows {
		if !slices.Contains(out, r.pkg) {
			out = append(out, r.pkg)
		}
	}
	return out
}

// benchNames lists the top-level benchmark functions a package's rows
// need, each once: "BenchmarkJWT/first/ES256" runs as BenchmarkJWT.
func benchNames(rows []row, pkg string) []string {
	var out []string
	add := func(name string) {
		top, _, _ := strings.Cut(name, "/")
		if !slices.Contains(out, top) {
			out = append(out, top)
		}
	}
	for _, r := range rows {
		if r.pkg != pkg {
			continue
		}
		add(r.bench)
		for _, f := range r.floor {
			add(f)
		}
	}
	return out
}

// parseOutput reads go test -bench output, which may hold several rounds:
// the k-th line of a benchmark is its result in round k, so the output of
// several go test runs may simply be concatenated. Names lose the
// -GOMAXPROCS suffix and are prefixed by pkg and a space when pkg is not
// empty, so that two packages may have benchmarks of the same name.
func parseOutput(out, pkg string) map[string][]result {
	res := map[string][]result{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		var r result
		ok := false
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				r.nsPerOp, ok = v, true
			case "B/op":
				r.bytesPerOp = v
			case "allocs/op":
				r.allocsPerOp = v
			}
		}
		if ok {
			k := key(pkg, name)
			res[k] = append(res[k], r)
		}
	}
	return res
}

func key(pkg, name string) string {
	if pkg == "" {
		return name
	}
	return pkg + " " + name
}

// lookup finds a benchmark's results, one per round, by package and name,
// also in output read without package names.
func lookup(samples map[string][]result, pkg, name string) []result {
	if rs, ok := samples[key(pkg, name)]; ok {
		return rs
	}
	return samples[name]
}

// render writes the Markdown section: the table, then how it was measured
// and, when the benchmarks ran rather than being read from a file, the
// commands of one round. A row measured in fewer rounds than the others
// says so beside its ratio.
func render(rows []row, samples map[string][]result, commands []string, goVersion string) string {
	ms := make([]measurement, len(rows))
	oks := make([]bool, len(rows))
	rounds := 0
	for i, r := range rows {
		ms[i], oks[i] = measure(r, samples)
		rounds = max(rounds, ms[i].rounds)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| What | Benchmark | ns/op | allocs | Floor | ns/op | allocs | Ratio | Goal |\n")
	fmt.Fprintf(&b, "|---|---|---:|---:|---|---:|---:|---:|---|\n")
	for i, r := range rows {
		m := ms[i]
		goal := "-"
		if r.goal > 0 {
			goal = fmt.Sprintf("≤ %.2fx", r.goal)
		}
		if !oks[i] {
			fmt.Fprintf(&b, "| %s | %s | missing | | %s | | | | %s |\n", r.what, r.bench, strings.Join(r.floor, " + "), goal)
			continue
		}
		if r.goal > 0 {
			if m.ratio <= r.goal {
				goal += " met"
			} else {
				goal += " missed"
			}
		}
		ratio := fmt.Sprintf("%.2fx", m.ratio)
		if m.rounds < rounds {
			ratio += fmt.Sprintf(" (%d of %d rounds)", m.rounds, rounds)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %s | %s | %.0f | %s | %s |\n",
			r.what, r.bench, formatNs(m.bench.nsPerOp), m.bench.allocsPerOp,
			strings.Join(r.floor, " + "), formatNs(m.floor.nsPerOp), m.floor.allocsPerOp, ratio, goal)
	}
	if rounds == 0 {
		return b.String()
	}
	b.WriteString("\n")
	if len(commands) > 0 {
		fmt.Fprintf(&b, "Measured with %s by `.ci/bench`, median of %s. ", goVersion, roundsText(rounds))
	} else {
		fmt.Fprintf(&b, "Median of %s. ", roundsText(rounds))
	}
	b.WriteString("Each ratio is the median of the per-round ratios, a benchmark's ns/op over the sum of its floor's ns/op " +
		"in the same round; ns/op and allocs are medians of the rounds too (of an even number, the mean of the middle two), " +
		"so a ratio need not equal the quotient of the two ns/op shown.")
	if len(commands) > 0 {
		fmt.Fprintf(&b, " Each round ran these once, in this order, so a benchmark and its floor alternate between rounds:\n\n```\n%s\n```\n",
			strings.Join(commands, "\n"))
	} else {
		b.WriteString("\n")
	}
	return b.String()
}

func roundsText(n int) string {
	if n == 1 {
		return "1 round"
	}
	return strconv.Itoa(n) + " rounds"
}

func formatNs(ns float64) string {
	if ns >= 100 {
		return strconv.FormatFloat(ns, 'f', 0, 64)
	}
	return strconv.FormatFloat(ns, 'f', 1, 64)
}
