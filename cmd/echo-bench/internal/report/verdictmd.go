package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/matrix"
)

// verdicts writes, per work of the axis, which model won each TCP cell on
// msgs/s, on p99 and on memory, by how much over the runner-up, and a
// tally of the wins.
func verdicts(p *printer, res *matrix.Results) {
	wvs := JudgeWorks(res)
	if len(wvs) == 0 {
		return
	}
	p.f("## Which model for which handler\n\n")
	p.f("Per work and cell, the model with the best median on each figure and how far ahead of the runner-up it is; "+
		"a *tie* means the runner-up's repeats reach the winner's (memory: within %.0f %%), so the run cannot tell them apart. "+
		"Memory is the server's RSS at the end of the cell's runs, each work's servers started afresh. "+
		"Client-bound models are flagged: their msgs/s is a floor.\n\n", 100*memoryTie)
	for _, wv := range wvs {
		p.f("### Work %s\n\n", wv.Work)
		n := len(wv.Cells)
		var tally []string
		for _, m := range Metrics {
			tally = append(tally, fmt.Sprintf("%s: %s", m, wins(wv.Wins[m], n)))
		}
		p.f("Cells won outright, of %d: %s.\n\n", n, strings.Join(tally, "; "))
		p.header("cell", "msgs/s", "p99", "memory", "notes")
		for _, vs := range wv.Cells {
			row := []string{cellColumn(vs[0].Cell), "", "", ""}
			for _, v := range vs {
				row[1+slices.Index(Metrics, v.Metric)] = verdictText(v)
			}
			row = append(row, verdictNotes(vs))
			p.row(row...)
		}
		p.f("\n")
	}
}

// wins lists the models that won cells, most first.
func wins(byModel map[string]int, cells int) string {
	if len(byModel) == 0 {
		return "none (ties)"
	}
	var names []string
	for e := range byModel {
		names = append(names, e)
	}
	slices.SortFunc(names, func(a, b string) int {
		if byModel[a] != byModel[b] {
			return byModel[b] - byModel[a]
		}
		return strings.Compare(a, b)
	})
	var out []string
	for _, e := range names {
		out = append(out, fmt.Sprintf("%s %d", e, byModel[e]))
	}
	return strings.Join(out, ", ")
}

// verdictText writes one verdict: the winner, its figure, and the
// runner-up with the margin.
func verdictText(v Verdict) string {
	var fig string
	switch v.Metric {
	case Throughput:
		fig = count(v.Best) + "/s"
	case P99:
		fig = latency(v.Best)
	case Memory:
		fig = fixed1(v.Best/(1<<20)) + " MiB"
	}
	if v.RunnerUp == "" {
		return fmt.Sprintf("**%s** %s, alone", v.Winner, fig)
	}
	if v.Tie {
		return fmt.Sprintf("%s ≈ %s (tie: %s, %.2f×)", v.Winner, v.RunnerUp, fig, v.Margin)
	}
	var than string
	switch v.Metric {
	case Throughput:
		than = fmt.Sprintf("%.2f× %s", v.Margin, v.RunnerUp)
	case P99:
		than = fmt.Sprintf("%s %.2f× higher", v.RunnerUp, v.Margin)
	case Memory:
		than = fmt.Sprintf("%s %.2f× more", v.RunnerUp, v.Margin)
	}
	return fmt.Sprintf("**%s** %s, %s", v.Winner, fig, than)
}

// verdictNotes flags the client-bound and the missing models of a cell.
func verdictNotes(vs []Verdict) string {
	var out []string
	if cb := vs[0].ClientBound; len(cb) > 0 {
		out = append(out, "client-bound: "+strings.Join(cb, ", "))
	}
	if ms := vs[0].Missing; len(ms) > 0 {
		out = append(out, "no figure: "+strings.Join(ms, ", "))
	}
	return strings.Join(out, "; ")
}

// latency formats µs, as ms from a millisecond up.
func latency(us float64) string {
	if us >= 1000 {
		return fmt.Sprintf("%.1f ms", us/1000)
	}
	return fmt.Sprintf("%.0f µs", us)
}

// againstEmpty writes, for every work but the empty echo, each model's
// p90, p99 and server CPU per message beside its own on the empty echo
// in the same cell: a p90 above the empty echo's shows fast frames
// waiting behind slow ones, and the CPU over the empty echo's is what
// the work cost the server.
func againstEmpty(p *printer, res *matrix.Results) {
	if !slices.Contains(res.Meta.Works, matrix.NoWork) || len(res.Meta.Works) < 2 {
		return
	}
	p.f("## Against the empty echo\n\n")
	p.f("Each model's figures in a cell with work beside its own in the same cell without (work %s). "+
		"*÷ (empty + CPU)* is the server CPU per message over the empty echo's plus the work's mean CPU per message: 1.00 when the work costs exactly what it burns. "+
		"Where the empty echo was client-bound, its latency includes the load generator's own queueing, and a ratio under 1 says more about the client than the server.\n\n", matrix.NoWork)
	for _, g := range workGroups(res) {
		if !matrix.HasWork(g.work) {
			continue
		}
		cpu, _, err := workPerMsg(g.work)
		if err != nil {
			p.f("%v\n\n", err)
			continue
		}
		cpuUs := float64(cpu) / 1e3
		p.f("### Work %s\n\n", g.work)
		cols := []string{"cell", "engine", "p90 µs", "× empty", "p99 µs", "× empty", "srv µs/msg", "empty srv µs/msg"}
		if cpuUs > 0 {
			cols = append(cols, fmt.Sprintf("÷ (empty + %.3g µs)", cpuUs))
		}
		cols = append(cols, "notes")
		p.header(cols...)
		for _, c := range g.cells {
			if c.Network != "tcp" {
				continue
			}
			empty := c
			empty.Work = matrix.NoWork
			for _, e := range res.Meta.EngineList {
				s, ok := res.Summary(c, e)
				if !ok || s.MsgsPerSec.N == 0 {
					continue
				}
				z, ok := res.Summary(empty, e)
				if !ok || z.MsgsPerSec.N == 0 {
					continue
				}
				row := []string{cellColumn(c), e, fixed1(s.P90.Median), times(s.P90.Median, z.P90.Median),
					fixed1(s.P99.Median), times(s.P99.Median, z.P99.Median), fixed2(s.ServerUsPerMsg.Median), fixed2(z.ServerUsPerMsg.Median)}
				if cpuUs > 0 {
					row = append(row, fixed2(s.ServerUsPerMsg.Median/(z.ServerUsPerMsg.Median+cpuUs)))
				}
				notes := summaryNotes(s)
				if z.ClientBound > 0 {
					// The empty echo's latency then includes the
					// load generator's own queueing.
					notes = strings.TrimPrefix(notes+fmt.Sprintf("; empty echo client-bound %d/%d", z.ClientBound, z.MsgsPerSec.N), "; ")
				}
				row = append(row, notes)
				p.row(row...)
			}
		}
		p.f("\n")
	}
}

// times formats a/b as a ratio, or a dash when b is 0.
func times(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
