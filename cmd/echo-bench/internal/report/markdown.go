package report

import (
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/cref"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/matrix"
)

// WriteMarkdown writes the human report: an overview, one table per cell,
// UDP, idle memory, and notes. chartsDir is where the charts are relative
// to the report, for the image links.
func WriteMarkdown(w io.Writer, res *matrix.Results, chartsDir string) error {
	p := &printer{w: w}
	m := res.Meta
	p.f("# rawnet bench report\n\n")
	p.f("%s · %s · %d CPUs (%s) · %s · %s\n\n", m.Start, m.Host, m.CPUs, m.CPU, m.Kernel, m.GoVersion)
	p.f("Servers pinned to CPU %s, client to CPU %s. Each run measures %gs after %gs of warmup; "+
		"every cell runs %d times per engine, engine after engine with the order rotating, and the tables show "+
		"the median with the spread ((max-min)/median) of the repeats.", orAll(m.ServerCPUs), orAll(m.ClientCPUs), m.Duration, m.Warmup, m.Repeats)
	if m.Reference != "" {
		p.f(" `%s` is the C epoll reference server: the ceiling of this machine.", m.Reference)
	}
	if slices.Contains(m.References, cref.URingName) {
		p.f(" `%s` is the C io_uring reference server (multishot accept and recv, a provided buffer ring, DEFER_TASKRUN): the ceiling of the io_uring model.", cref.URingName)
	}
	p.f("\n\n")
	if m.Command != "" {
		p.f("Command: `%s`\n\n", m.Command)
	}
	verdicts(p, res)
	overview(p, res)
	againstEmpty(p, res)
	cells(p, res)
	idle(p, res)
	chartLinks(p, res, chartsDir)
	notes(p, res)
	return p.err
}

// printer writes formatted text and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

// f writes formatted text.
func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// row writes one table row.
func (p *printer) row(cols ...string) { p.f("| %s |\n", strings.Join(cols, " | ")) }

// header writes a table header with its rule; columns after the first are
// right-aligned.
func (p *printer) header(cols ...string) {
	p.row(cols...)
	rule := make([]string, len(cols))
	for i := range rule {
		rule[i] = "---:"
		if i == 0 {
			rule[i] = "---"
		}
	}
	p.row(rule...)
}

// orAll names an empty CPU list.
func orAll(s string) string {
	if s == "" {
		return "(any)"
	}
	return s
}

// cellTitle describes a cell in words.
func cellTitle(c matrix.Cell) string {
	conns := "connection"
	if c.Network == "udp" {
		conns = "socket"
	}
	if c.Conns != 1 {
		conns += "s"
	}
	s := fmt.Sprintf("%s, %d %s, %d B, depth %d", strings.ToUpper(c.Network), c.Conns, conns, c.Size, c.Depth)
	if c.Work != "" {
		s += ", work " + c.Work
	}
	return s
}

// cellColumn names a cell in a column header, without its work, which
// the table's heading gives.
func cellColumn(c matrix.Cell) string {
	return fmt.Sprintf("%s c%d %dB d%d", c.Network, c.Conns, c.Size, c.Depth)
}

// workGroups splits the matrix's cells by work, in the order of the work
// axis; a matrix without one is a single group with work "".
func workGroups(res *matrix.Results) []workGroup {
	var out []workGroup
	for _, c := range res.Meta.Cells {
		if n := len(out); n == 0 || out[n-1].work != c.Work {
			out = append(out, workGroup{work: c.Work})
		}
		out[len(out)-1].cells = append(out[len(out)-1].cells, c)
	}
	return out
}

// workGroup is the cells of one work.
type workGroup struct {
	work  string
	cells []matrix.Cell
}

// overview writes two pivots: msgs/s and server CPU per message, one row
// per engine, one column per cell.
func overview(p *printer, res *matrix.Results) {
	if len(res.Summaries) == 0 {
		return
	}
	p.f("## Overview\n\n")
	for _, g := range workGroups(res) {
		if g.work != "" {
			p.f("### Work %s\n\n", g.work)
		}
		overviewGroup(p, res, g.cells)
	}
}

// overviewGroup writes the two pivots for cells.
func overviewGroup(p *printer, res *matrix.Results, cells []matrix.Cell) {
	cols := []string{"engine"}
	for _, c := range cells {
		cols = append(cols, cellColumn(c))
	}
	for _, t := range []struct {
		title string
		fig   func(matrix.Summary) float64
		fmt   func(float64) string
	}{
		{"Messages per second (median; × the reference in brackets)", func(s matrix.Summary) float64 { return s.MsgsPerSec.Median }, count},
		{"Server CPU µs per message (median; × the reference in brackets, lower is better)", func(s matrix.Summary) float64 { return s.ServerUsPerMsg.Median }, fixed2},
	} {
		p.f("%s:\n\n", t.title)
		p.header(cols...)
		for _, e := range res.Meta.EngineList {
			row := []string{e}
			for _, c := range cells {
				s, ok := res.Summary(c, e)
				switch {
				case !ok:
					row = append(row, "n/a")
				case s.MsgsPerSec.N == 0:
					row = append(row, "failed")
				default:
					cell := t.fmt(t.fig(s))
					if _, vsRef := ratios(res, s, t.fig); vsRef > 0 && e != res.Meta.Reference {
						cell += fmt.Sprintf(" (%.2f×)", vsRef)
					}
					row = append(row, cell)
				}
			}
			p.row(row...)
		}
		p.f("\n")
	}
}

// cells writes one detailed table per cell.
func cells(p *printer, res *matrix.Results) {
	if len(res.Summaries) == 0 {
		return
	}
	p.f("## Cells\n\n")
	base, ref := res.Meta.Baseline, res.Meta.Reference
	for _, c := range res.Meta.Cells {
		p.f("### %s\n\n", cellTitle(c))
		cols := []string{"engine", "msgs/s", "spread", "× " + base}
		if ref != "" {
			cols = append(cols, "× "+ref)
		}
		cols = append(cols, "MB/s", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "srv µs/msg")
		if ref != "" {
			cols = append(cols, "srv × "+ref)
		}
		counted := countedCell(res, c)
		cols = append(cols, "syscalls/msg")
		if counted {
			cols = append(cols, "ctx sw/msg")
		}
		cols = append(cols, "srv CPU", "RSS MiB", "threads", "client µs/msg")
		if c.Network == "udp" {
			cols = append(cols, "loss %")
		}
		cols = append(cols, "notes")
		p.header(cols...)
		for _, e := range res.Meta.EngineList {
			s, ok := res.Summary(c, e)
			if !ok {
				continue
			}
			if s.MsgsPerSec.N == 0 {
				p.row(append([]string{e, "failed"}, make([]string, len(cols)-2)...)...)
				continue
			}
			vsBase, vsRef := ratios(res, s, func(x matrix.Summary) float64 { return x.MsgsPerSec.Median })
			_, srvRef := ratios(res, s, func(x matrix.Summary) float64 { return x.ServerUsPerMsg.Median })
			row := []string{e, count(s.MsgsPerSec.Median), fmt.Sprintf("±%.0f%%", s.MsgsPerSec.Spread/2), ratio(vsBase)}
			if ref != "" {
				row = append(row, ratio(vsRef))
			}
			row = append(row, fixed1(s.MBPerSec.Median), fixed1(s.P50.Median), fixed1(s.P90.Median), fixed1(s.P99.Median), fixed1(s.P999.Median), fixed2(s.ServerUsPerMsg.Median))
			if ref != "" {
				row = append(row, ratio(srvRef))
			}
			sys := fixed2(s.SyscallsPerMsg.Median)
			switch {
			case counted:
				sys = orDash2(s.AllSyscallsPerMsg)
			case c.Network == "udp":
				// /proc/PID/io counts only the read(2) and
				// write(2) families, not recvmsg or sendmsg.
				sys = "n/a"
			}
			row = append(row, sys)
			if counted {
				row = append(row, orDash2(s.SwitchesPerMsg))
			}
			row = append(row, fmt.Sprintf("%.0f%%", 100*s.ServerUtil.Median),
				fixed1(float64(s.RSS)/(1<<20)), fmt.Sprint(s.Threads), fixed2(s.ClientUsPerMsg.Median))
			if c.Network == "udp" {
				row = append(row, fmt.Sprintf("%.3f", s.UDPLossPct.Median))
			}
			row = append(row, summaryNotes(s))
			p.row(row...)
		}
		p.f("\n")
	}
}

// countedCell reports whether any engine has counting runs in cell c.
func countedCell(res *matrix.Results, c matrix.Cell) bool {
	for _, s := range res.Summaries {
		if s.Cell == c && s.AllSyscallsPerMsg.N > 0 {
			return true
		}
	}
	return false
}

// orDash2 is a median with two decimals, or a dash without values.
func orDash2(s matrix.Stat) string {
	if s.N == 0 {
		return "-"
	}
	return fixed2(s.Median)
}

// summaryNotes flags client-bound and failed runs.
func summaryNotes(s matrix.Summary) string {
	var out []string
	if s.ClientBound > 0 {
		out = append(out, fmt.Sprintf("client-bound %d/%d", s.ClientBound, s.MsgsPerSec.N))
	}
	if s.Errors > 0 {
		out = append(out, fmt.Sprintf("%d failed", s.Errors))
	}
	return strings.Join(out, ", ")
}

// idle writes the idle memory table.
func idle(p *printer, res *matrix.Results) {
	if len(res.Idle) == 0 {
		return
	}
	var refBytes float64
	for _, r := range res.Idle {
		if r.Engine == res.Meta.Reference && r.Error == "" {
			refBytes = r.BytesPerConn
		}
	}
	p.f("## Idle connections\n\n")
	p.f("Server RSS with N connections open, each after one echo, minus RSS before they opened, over N.")
	if len(res.Idle) > 0 && res.Idle[0].SettleSeconds > 0 {
		p.f(" RSS read after the connections had been idle for %gs since their echoes (--idle-settle).", res.Idle[0].SettleSeconds)
	}
	p.f("\n\n")
	p.header("engine", "conns", "RSS before MiB", "RSS after MiB", "bytes/conn", "× "+orDash(res.Meta.Reference), "threads", "notes")
	for _, r := range res.Idle {
		if r.Error != "" {
			p.row(r.Engine, fmt.Sprint(r.Conns), "", "", "", "", "", "failed: "+escape(r.Error))
			continue
		}
		vs := ""
		if refBytes > 0 {
			vs = ratio(r.BytesPerConn / refBytes)
		}
		p.row(r.Engine, fmt.Sprint(r.Conns), fixed1(float64(r.RSSBefore)/(1<<20)), fixed1(float64(r.RSSAfter)/(1<<20)),
			fmt.Sprintf("%.0f", r.BytesPerConn), vs, fmt.Sprint(r.Threads), "")
	}
	p.f("\n")
}

// chartLinks links the charts.
func chartLinks(p *printer, res *matrix.Results, dir string) {
	names := ChartNames(res)
	if len(names) == 0 {
		return
	}
	p.f("## Charts\n\n")
	for _, n := range names {
		p.f("![%s](%s)\n\n", n, path.Join(dir, n+".svg"))
	}
}

// notes lists what went wrong or was skipped, and how to read the flags.
func notes(p *printer, res *matrix.Results) {
	p.f("## Notes\n\n")
	p.f("- *client-bound*: the load generator's cores were at least 90%% busy, so the server may be faster than the figure shows; compare server CPU per message instead.\n")
	p.f("- *srv µs/msg* is read from /proc/PID/stat over the measured window; utime and stime tick every 10 ms.\n")
	if countedAny(res) {
		p.f("- *syscalls/msg* and *ctx sw/msg* count every system call the server entered (the raw_syscalls:sys_enter tracepoint) and every context switch of its threads, " +
			"with perf_event_open(2), in one extra run per cell and engine; counting slows each system call, so those runs give these two figures only.\n")
	} else {
		p.f("- *syscalls/msg* is read from /proc/PID/io, which counts read, readv, write and writev (and their kin), not recv*, send*, recvmmsg, sendmmsg or epoll_wait, " +
			"so UDP cells show no syscall figure and servers that use recvfrom or sendto show too few; --count-syscalls counts every call.\n")
	}
	p.f("- *spread* is ±half of (max-min)/median over the repeats: a wide spread means the shared machine drifted, and the ratios (taken within seconds of each other) are the figures to trust.\n")
	for _, n := range res.Notes {
		p.f("- %s\n", escape(n))
	}
}

// countedAny reports whether the matrix had counting runs.
func countedAny(res *matrix.Results) bool {
	for _, s := range res.Summaries {
		if s.AllSyscallsPerMsg.N > 0 {
			return true
		}
	}
	return false
}

// escape keeps table cells on one line.
func escape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

// orDash names a missing engine.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// count formats a rate with thousands separators.
func count(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fixed1 and fixed2 format with one and two decimals.
func fixed1(v float64) string { return fmt.Sprintf("%.1f", v) }
func fixed2(v float64) string { return fmt.Sprintf("%.2f", v) }

// ratio formats a ratio, or "" when there is none.
func ratio(v float64) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", v)
}
