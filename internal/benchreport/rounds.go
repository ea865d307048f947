package main

import "slices"

// measurement is one row's figures over the rounds it was measured in:
// the median ns/op and allocs/op of the benchmark and of its floor (the
// floor's figures being the per-round sums of its benchmarks), and the
// median of the per-round ratios.
type measurement struct {
	bench, floor result
	ratio        float64
	rounds       int
}

// measure computes a row's measurement from every round's results. Round k
// is the k-th result of each name, so the benchmark is divided by the sum
// of its floor's ns/op from the same go test run, never by a figure from
// another run. A row counts the rounds that have the benchmark and every
// floor benchmark; it reports false when there are none or a floor's time
// is zero.
func measure(r row, samples map[string][]result) (measurement, bool) {
	got := lookup(samples, r.pkg, r.bench)
	n := len(got)
	floors := make([][]result, len(r.floor))
	for i, f := range r.floor {
		floors[i] = lookup(samples, r.pkg, f)
		n = min(n, len(floors[i]))
	}
	if n == 0 {
		return measurement{}, false
	}
	var benchNs, benchAllocs, floorNs, floorAllocs, ratios []float64
	for k := range n {
		var ns, allocs float64
		for _, f := range floors {
			ns += f[k].nsPerOp
			allocs += f[k].allocsPerOp
		}
		if ns == 0 {
			return measurement{}, false
		}
		benchNs = append(benchNs, got[k].nsPerOp)
		benchAllocs = append(benchAllocs, got[k].allocsPerOp)
		floorNs = append(floorNs, ns)
		floorAllocs = append(floorAllocs, allocs)
		ratios = append(ratios, got[k].nsPerOp/ns)
	}
	return measurement{
		bench:  result{nsPerOp: median(benchNs), allocsPerOp: median(benchAllocs)},
		floor:  result{nsPerOp: median(floorNs), allocsPerOp: median(floorAllocs)},
		ratio:  median(ratios),
		rounds: n,
	}, true
}

// median returns the middle value of xs, which must not be empty; of an
// even number of values it returns the mean of the two middle ones, so
// that two rounds give their mean rather than favour the faster.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}
