package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"
)

// loadavg returns the machine's load averages from /proc/loadavg, for the
// record of the conditions a run had.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return "unknown"
	}
	return string(bytes.Join(f[:3], []byte(" ")))
}

// quantile returns the q-quantile (0 < q <= 1) of sorted samples, by the
// nearest-rank method.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// result is one run of one variant.
type result struct {
	round   int
	variant string
	n       int
	p50     time.Duration
	p90     time.Duration
	p99     time.Duration
	max     time.Duration
	// extra holds figures of the run beyond the latencies, by column.
	extra map[string]float64
}

func newResult(round int, variant string, samples []time.Duration) result {
	slices.Sort(samples)
	return result{round: round, variant: variant, n: len(samples),
		p50: quantile(samples, 0.50), p90: quantile(samples, 0.90), p99: quantile(samples, 0.99), max: quantile(samples, 1)}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// printRun prints one run as it finishes.
func printRun(r result, extraCols []string) {
	fmt.Printf("round %d  %-17s n=%-6d p50=%8.1f µs  p90=%8.1f µs  p99=%8.1f µs  max=%9.1f µs", r.round, r.variant, r.n, us(r.p50), us(r.p90), us(r.p99), us(r.max))
	for _, c := range extraCols {
		fmt.Printf("  %s=%.0f", c, r.extra[c])
	}
	fmt.Println()
}

// summarize prints, per variant, the median over rounds of p50, p90 and
// p99 and, for p99, the range over rounds and the ratio of the median to
// base's (the first variant when base is empty).
func summarize(w io.Writer, results []result, order []variant, base string) {
	if base == "" {
		base = order[0].name
	}
	med := func(name string, f func(result) time.Duration) (m, lo, hi time.Duration) {
		var xs []time.Duration
		for _, r := range results {
			if r.variant == name {
				xs = append(xs, f(r))
			}
		}
		slices.Sort(xs)
		if len(xs) == 0 {
			return 0, 0, 0
		}
		return xs[len(xs)/2], xs[0], xs[len(xs)-1]
	}
	p99 := func(r result) time.Duration { return r.p99 }
	p50 := func(r result) time.Duration { return r.p50 }
	p90 := func(r result) time.Duration { return r.p90 }
	bp99, _, _ := med(base, p99)
	fmt.Fprintf(w, "\nmedian over rounds (p99 range), ratio of p99 to %s:\n", base)
	for _, v := range order {
		m50, _, _ := med(v.name, p50)
		m90, _, _ := med(v.name, p90)
		m99, lo, hi := med(v.name, p99)
		fmt.Fprintf(w, "  %-17s p50 %8.1f µs  p90 %8.1f µs  p99 %8.1f µs (%.1f-%.1f)  %.2f×\n", v.name, us(m50), us(m90), us(m99), us(lo), us(hi), float64(m99)/float64(bp99))
	}
}

// writeCSV writes every run to path, one row each.
func writeCSV(path string, results []result, extraCols []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write(append([]string{"round", "variant", "samples", "p50_us", "p90_us", "p99_us", "max_us"}, extraCols...))
	for _, r := range results {
		row := []string{strconv.Itoa(r.round), r.variant, strconv.Itoa(r.n),
			fmt.Sprintf("%.1f", us(r.p50)), fmt.Sprintf("%.1f", us(r.p90)), fmt.Sprintf("%.1f", us(r.p99)), fmt.Sprintf("%.1f", us(r.max))}
		for _, c := range extraCols {
			row = append(row, fmt.Sprintf("%.0f", r.extra[c]))
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
