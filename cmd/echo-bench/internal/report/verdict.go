package report

import (
	"cmp"
	"slices"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/matrix"
)

// Metric is what a verdict ranks the models on.
type Metric int

// The metrics of a verdict.
const (
	// Throughput is messages per second, higher is better.
	Throughput Metric = iota
	// P99 is the 99th percentile round trip, lower is better.
	P99
	// Memory is the server's resident set at the end of its runs of the
	// cell, lower is better.
	Memory
)

// Metrics lists the metrics in report order.
var Metrics = []Metric{Throughput, P99, Memory}

// String names the metric in the report.
func (m Metric) String() string {
	switch m {
	case Throughput:
		return "msgs/s"
	case P99:
		return "p99"
	case Memory:
		return "memory"
	}
	return "?"
}

// memoryTie is how close two resident sets must be to tie: RSS is one
// reading per run, with no spread of repeats to judge by, and a few
// hundred KiB come and go with the runtime's heap.
const memoryTie = 0.05

// Verdict is the ranking of the models on one metric in one cell.
type Verdict struct {
	Cell   matrix.Cell
	Metric Metric
	// Winner has the best median; RunnerUp the next best ("" when only
	// one model has a figure).
	Winner, RunnerUp string
	// Best and Next are their figures: msgs/s, µs or bytes.
	Best, Next float64
	// Margin is how many times better Winner is than RunnerUp (at least
	// 1): Best/Next for throughput, Next/Best for p99 and memory.
	Margin float64
	// Tie is set when RunnerUp is as good within what the repeats can
	// tell: their ranges of repeats overlap (for memory, when they are
	// within memoryTie).
	Tie bool
	// ClientBound lists the ranked models with client-bound runs: the
	// load generator was the limit, so their msgs/s is a floor and their
	// latency may be the client's.
	ClientBound []string
	// Missing lists the models of the matrix with no figure in the cell
	// (not run, or every run failed).
	Missing []string
}

// judged is one model's figures in a cell.
type judged struct {
	engine string
	median float64
	lo, hi float64 // the range of the repeats
}

// Judge ranks the models of res in cell c on metric m. The C references
// are ceilings, not models, and are left out. ok is false when no model
// has a figure.
func Judge(res *matrix.Results, c matrix.Cell, m Metric) (v Verdict, ok bool) {
	v = Verdict{Cell: c, Metric: m}
	var js []judged
	for _, e := range res.Meta.EngineList {
		if e == res.Meta.Reference || slices.Contains(res.Meta.References, e) {
			continue
		}
		s, found := res.Summary(c, e)
		if !found || s.MsgsPerSec.N == 0 {
			v.Missing = append(v.Missing, e)
			continue
		}
		if s.ClientBound > 0 {
			v.ClientBound = append(v.ClientBound, e)
		}
		switch m {
		case Throughput:
			js = append(js, judged{e, s.MsgsPerSec.Median, s.MsgsPerSec.Min, s.MsgsPerSec.Max})
		case P99:
			js = append(js, judged{e, s.P99.Median, s.P99.Min, s.P99.Max})
		case Memory:
			r := float64(s.RSS)
			js = append(js, judged{e, r, r, r})
		}
	}
	if len(js) == 0 {
		return v, false
	}
	higher := m == Throughput
	// Best first; equal medians keep the matrix's engine order.
	slices.SortStableFunc(js, func(a, b judged) int {
		if higher {
			return cmp.Compare(b.median, a.median)
		}
		return cmp.Compare(a.median, b.median)
	})
	w := js[0]
	v.Winner, v.Best, v.Margin = w.engine, w.median, 1
	if len(js) == 1 {
		return v, true
	}
	r := js[1]
	v.RunnerUp, v.Next = r.engine, r.median
	switch {
	case higher && r.median > 0:
		v.Margin = w.median / r.median
	case !higher && w.median > 0:
		v.Margin = r.median / w.median
	}
	switch {
	case w.median == r.median:
		v.Tie = true
	case m == Memory:
		v.Tie = v.Margin <= 1+memoryTie
	case higher:
		v.Tie = w.lo <= r.hi
	default:
		v.Tie = w.hi >= r.lo
	}
	return v, true
}

// WorkVerdict is the verdicts of one work: every TCP cell of it on every
// metric, and how many cells each model won.
type WorkVerdict struct {
	Work string
	// Cells holds, per TCP cell of the work in matrix order, one verdict
	// per metric in Metrics order; a metric no model has a figure for is
	// left out.
	Cells [][]Verdict
	// Wins counts, per metric and model, the cells it won outright
	// (ties count for no one).
	Wins map[Metric]map[string]int
}

// JudgeWorks returns a WorkVerdict per work of the matrix's work axis,
// in its order; nil without one.
func JudgeWorks(res *matrix.Results) []WorkVerdict {
	var out []WorkVerdict
	for _, g := range workGroups(res) {
		if g.work == "" {
			continue
		}
		wv := WorkVerdict{Work: g.work, Wins: map[Metric]map[string]int{}}
		for _, c := range g.cells {
			if c.Network != "tcp" {
				continue
			}
			var vs []Verdict
			for _, m := range Metrics {
				v, ok := Judge(res, c, m)
				if !ok {
					continue
				}
				vs = append(vs, v)
				if !v.Tie {
					if wv.Wins[m] == nil {
						wv.Wins[m] = map[string]int{}
					}
					wv.Wins[m][v.Winner]++
				}
			}
			if len(vs) > 0 {
				wv.Cells = append(wv.Cells, vs)
			}
		}
		out = append(out, wv)
	}
	return out
}
