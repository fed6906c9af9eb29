package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/bench"
)

const mergeUsage = `echo-bench merge: merge the runs of several load generators into one result.

Usage:
  echo-bench merge [flags] FILE...

Each FILE is an HdrHistogram interval log that echo-bench run --hdr-log wrote,
on this host or another, in this process or another. merge reads every
interval of every log and merges the histograms bucket for bucket, so the
percentiles, maximum and mean it reports are exactly those of one histogram
fed every round trip of every run, never an average of percentiles. Messages,
bytes, connections, rates, UDP counts and client CPU add up; the measurement
spans from the earliest start to the latest end, which is one window when the
runs shared --start-at. The result is CLIENT-BOUND when any run was.

A log must end with the result line a finished run writes, and its intervals
must hold as many round trips as that result counts messages; the runs must
agree in network, framing, sizes, depth and closed or open loop; and their
histograms must share a lowest value and significant figures. Otherwise merge
names the file and refuses: merging them would not be exact, or would mix two
loads. It exits 1 when a run failed, after printing the merged result.

It prints one line per run and the merged summary; --json and --csv write the
merged result in the forms echo-bench run writes. --hdr-log writes the merge
as a log of its own: intervals with the same start and end (runs given one
--start-at, --hdr-interval and --warmup line up) merged into one, so it is
the timeline of all the traffic, and merge reads it back like a run's log, so
merges of merges stay exact. HdrHistogram's own HistogramLogProcessor reads
all these files, one tag at a time (-tag TAG).

Examples:
  echo-bench merge host-a.hlog host-b.hlog host-c.hlog
  echo-bench merge --json - out/*.hlog | jq .latency.p99_us
  echo-bench merge --hdr-log rack1.hlog host-a.hlog host-b.hlog   # then: merge rack1.hlog rack2.hlog

Flags:
`

// runMerge is echo-bench merge.
func runMerge(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("echo-bench merge", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(stderr)
	fs.Usage = func() {
		io.WriteString(stderr, mergeUsage)
		fs.PrintDefaults()
	}
	jsonOut := fs.String("json", "", "write the merged result as JSON to this file (- for stdout, which then carries the JSON alone; the summary goes to stderr)")
	csvOut := fs.String("csv", "", "write the merged result as CSV to this file (- for stdout, which then carries the CSV alone; the summary goes to stderr)")
	hdrOut := fs.String("hdr-log", "", "write the merge as an HdrHistogram interval log to this file: intervals with the same start and end merged, ended by the merged result (merge reads it back)")
	hdrTag := fs.String("hdr-tag", "merged", "tag of every interval of --hdr-log; no commas or spaces")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errNoLogs
	}
	summary, err := summaryOut(*jsonOut, *csvOut, stdout, stderr)
	if err != nil {
		return err
	}
	var logs []*bench.Log
	for _, path := range fs.Args() {
		lg, err := readLogFile(path)
		if err != nil {
			return err
		}
		logs = append(logs, lg)
	}
	mlog, err := bench.MergeLogs(logs...)
	if err != nil {
		return err
	}
	merged := mlog.Result
	if *hdrOut != "" {
		if err := writeMergedLog(*hdrOut, *hdrTag, mlog); err != nil {
			return err
		}
	}
	if err := writeRuns(summary, fs.Args(), logs, merged); err != nil {
		return err
	}
	if err := merged.WriteText(summary); err != nil {
		return err
	}
	if err := writeTo(*jsonOut, stdout, merged.WriteJSON); err != nil {
		return err
	}
	if err := writeTo(*csvOut, stdout, merged.WriteCSV); err != nil {
		return err
	}
	if merged.Error != "" {
		return fmt.Errorf("the merged runs carry errors: %s", merged.Error)
	}
	return nil
}

// writeMergedLog writes lg to path as an interval log tagged tag.
func writeMergedLog(path, tag string, lg *bench.Log) error {
	l, err := createHdrLog(path, tag)
	if err != nil {
		return err
	}
	for _, iv := range lg.Intervals {
		l.lw.Interval(iv)
	}
	return l.finish(lg.Result)
}

// readLogFile reads the log at path, naming the file in any error.
func readLogFile(path string) (*bench.Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lg, err := bench.ReadLog(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return lg, nil
}

// writeRuns lists the merged runs, one line each, with when each began
// after the first, so that runs out of step show.
func writeRuns(w io.Writer, paths []string, logs []*bench.Log, merged *bench.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "run\tfile\ttag\tstart\tseconds\tconns\tmessages\tmsgs/s\tp50 µs\tp99 µs\tmax µs\tclient CPU\t\n")
	for i, lg := range logs {
		r := lg.Result
		bound := ""
		if r.Client.Bound {
			bound = " BOUND"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t+%.3f s\t%.2f\t%d\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%.0f%%%s\t\n",
			i+1, filepath.Base(paths[i]), lg.Tag, r.Start.Sub(merged.Start).Seconds(), r.Seconds, r.Conns, r.Messages,
			r.MsgsPerSec, r.Latency.P50, r.Latency.P99, r.Latency.Max, 100*r.Client.Utilization, bound)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if d := windowSpread(logs); d > 0.05*merged.Seconds {
		fmt.Fprintf(w, "note: the runs' windows differ by up to %.3f s, so the rates are over the %.2f s from the first start to the last end; give the generators one --start-at to measure one window\n",
			d, merged.Seconds)
	}
	_, err := fmt.Fprintln(w)
	return err
}

// windowSpread is how far, in seconds, the runs' measurement windows
// differ at the start or at the end.
func windowSpread(logs []*bench.Log) float64 {
	var spread float64
	for _, a := range logs {
		for _, b := range logs {
			ra, rb := a.Result, b.Result
			start := rb.Start.Sub(ra.Start).Seconds()
			end := start + rb.Seconds - ra.Seconds
			spread = max(spread, start, end)
		}
	}
	return spread
}
