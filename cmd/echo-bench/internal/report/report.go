// Package report writes a matrix's results into one folder:
// results.json (everything, every run), results.csv (one row per cell and
// engine), report.md (tables with ratios against the std engine and the C
// reference) and charts in SVG and PNG.
package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/matrix"
)

// Files written by Write, relative to its folder.
const (
	JSONFile     = "results.json"
	CSVFile      = "results.csv"
	MarkdownFile = "report.md"
	ChartsDir    = "charts"
)

// Write writes every output for res into dir, creating it.
func Write(dir string, res *matrix.Results) error {
	if err := os.MkdirAll(filepath.Join(dir, ChartsDir), 0o755); err != nil {
		return err
	}
	files := []struct {
		name  string
		write func(io.Writer, *matrix.Results) error
	}{
		{JSONFile, WriteJSON},
		{CSVFile, WriteCSV},
		{MarkdownFile, func(w io.Writer, r *matrix.Results) error { return WriteMarkdown(w, r, ChartsDir) }},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), res, f.write); err != nil {
			return err
		}
	}
	_, err := WriteCharts(filepath.Join(dir, ChartsDir), res)
	return err
}

// writeFile creates path and writes res into it.
func writeFile(path string, res *matrix.Results, write func(io.Writer, *matrix.Results) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f, res); err != nil {
		f.Close()
		return fmt.Errorf("report: %s: %w", path, err)
	}
	return f.Close()
}

// WriteJSON writes res as indented JSON.
func WriteJSON(w io.Writer, res *matrix.Results) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{
	"network", "conns", "size", "depth", "work", "engine", "runs", "errors",
	"msgs_per_sec", "msgs_per_sec_min", "msgs_per_sec_max", "spread_pct", "vs_baseline", "vs_reference",
	"mb_per_sec", "p50_us", "p90_us", "p99_us", "p999_us", "max_us",
	"server_cpu_us_per_msg", "server_vs_reference", "server_cpu_util", "syscalls_per_msg", "rss_bytes", "threads",
	"client_cpu_us_per_msg", "client_bound_runs", "udp_loss_pct",
	"all_syscalls_per_msg", "ctx_switches_per_msg",
}

// WriteCSV writes one row per cell and engine, medians over repeats.
func WriteCSV(w io.Writer, res *matrix.Results) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, s := range res.Summaries {
		vsBase, vsRef := ratios(res, s, func(x matrix.Summary) float64 { return x.MsgsPerSec.Median })
		_, srvRef := ratios(res, s, func(x matrix.Summary) float64 { return x.ServerUsPerMsg.Median })
		row := []string{
			s.Cell.Network, strconv.Itoa(s.Cell.Conns), strconv.Itoa(s.Cell.Size), strconv.Itoa(s.Cell.Depth), s.Cell.Work, s.Engine,
			strconv.Itoa(s.MsgsPerSec.N + s.Errors), strconv.Itoa(s.Errors),
			f(s.MsgsPerSec.Median), f(s.MsgsPerSec.Min), f(s.MsgsPerSec.Max), f(s.MsgsPerSec.Spread), f(vsBase), f(vsRef),
			f(s.MBPerSec.Median), f(s.P50.Median), f(s.P90.Median), f(s.P99.Median), f(s.P999.Median), f(s.Max.Median),
			f(s.ServerUsPerMsg.Median), f(srvRef), f(s.ServerUtil.Median), f(s.SyscallsPerMsg.Median),
			strconv.FormatInt(s.RSS, 10), strconv.Itoa(s.Threads),
			f(s.ClientUsPerMsg.Median), strconv.Itoa(s.ClientBound), f(s.UDPLossPct.Median),
			f(s.AllSyscallsPerMsg.Median), f(s.SwitchesPerMsg.Median),
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ratios returns s's figure over the baseline's and over the reference's
// in the same cell, or 0 where there is nothing to compare with.
func ratios(res *matrix.Results, s matrix.Summary, fig func(matrix.Summary) float64) (vsBase, vsRef float64) {
	ratio := func(engine string) float64 {
		if engine == "" {
			return 0
		}
		o, ok := res.Summary(s.Cell, engine)
		if !ok || fig(o) == 0 || s.MsgsPerSec.N == 0 {
			return 0
		}
		return fig(s) / fig(o)
	}
	return ratio(res.Meta.Baseline), ratio(res.Meta.Reference)
}
