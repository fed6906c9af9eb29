package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The HdrHistogram interval log a run writes (LogWriter) and ReadLog
// reads back is the standard format, version 1.3, written by the
// library's HistogramLogWriter, so HdrHistogram's own tools read it
// (HistogramLogProcessor, HistogramLogReader in any language):
//
//	#[Histogram log format version 1.3]
//	#[StartTime: 1767225600 (seconds since epoch), 2026-01-01T00:00:00Z]
//	#[BaseTime: 1767225600 (seconds since epoch)]
//	#[echo-bench log 1: latencies in nanoseconds; the result line ends the log]
//	"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//	Tag=host-4242,0.500000,1.000000,0.087000,HISTFAAAA...
//	...
//	#[echo-bench result: {"network":"tcp",...}]
//
// Each interval line holds one interval's round trips in nanoseconds,
// merged over the run's workers, as a compressed V2 histogram (1 ns to a
// minute, three significant digits), tagged with the run's tag; its
// timestamps are seconds after BaseTime, the measurement's start rounded
// down to a whole second, and its maximum is in milliseconds (the
// format's convention for nanosecond values). Comment lines (#) are
// ignored by the format's readers, so the last line can carry what the
// histograms cannot: the run's Result as JSON (configuration, messages,
// bytes, duration, UDP accounting, client CPU, error). Merge needs it,
// and ReadLog refuses a log without it: the run did not finish.
const (
	logVersionLine = "echo-bench log 1: latencies in nanoseconds; the result line ends the log"
	logResultTag   = "[echo-bench result: "
)

// LogWriter writes one run as an HdrHistogram interval log. Hand its
// Interval method to Config.Intervals and, once Run returns, call Result
// with the result. A LogWriter is not safe for concurrent use, which
// Run's calls of Config.Intervals never need.
type LogWriter struct {
	out  io.Writer
	lw   *hdrhistogram.HistogramLogWriter
	tag  string
	head bool
	err  error
}

// NewLogWriter returns a LogWriter writing to out, tagging every interval
// with tag, which may be empty; the format does not allow commas, spaces
// or line breaks in a tag.
func NewLogWriter(out io.Writer, tag string) (*LogWriter, error) {
	if err := checkTag(tag); err != nil {
		return nil, err
	}
	return &LogWriter{out: out, lw: hdrhistogram.NewHistogramLogWriter(out), tag: tag}, nil
}

// checkTag refuses a tag the log format cannot hold.
func checkTag(tag string) error {
	if strings.ContainsAny(tag, ", \t\r\n") {
		return fmt.Errorf("bench: log tag %q: the HdrHistogram log format allows no commas, spaces or line breaks in a tag", tag)
	}
	return nil
}

// Interval writes one interval, and before the first the log's header.
// A write error is kept and returned by Result, so that the run goes on.
func (l *LogWriter) Interval(iv Interval) {
	l.header(iv.Start.UnixMilli())
	if l.err != nil {
		return
	}
	h := iv.Latency
	h.SetTag(l.tag)
	h.SetStartTimeMs(iv.Start.UnixMilli())
	h.SetEndTimeMs(iv.End.UnixMilli())
	l.err = l.lw.OutputIntervalHistogram(h)
}

// header writes the log's header once, for a measurement that began at
// startMs, milliseconds since the Unix epoch. BaseTime is written in
// whole seconds, so it is the start rounded down to one.
func (l *LogWriter) header(startMs int64) {
	if l.head || l.err != nil {
		return
	}
	l.head = true
	base := startMs - startMs%1000
	l.lw.SetBaseTime(base)
	for _, write := range []func() error{
		l.lw.OutputLogFormatVersion,
		func() error { return l.lw.OutputStartTime(startMs) },
		func() error { return l.lw.OutputBaseTime(base) },
		func() error { return l.lw.OutputComment("[" + logVersionLine + "]") },
		l.lw.OutputLegend,
	} {
		if l.err = write(); l.err != nil {
			return
		}
	}
}

// Result ends the log with r, the run's result, and returns the first
// error the log met. A run that measured nothing still gets a header.
func (l *LogWriter) Result(r *Result) error {
	l.header(r.Start.UnixMilli())
	if l.err != nil {
		return l.err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	l.err = l.lw.OutputComment(logResultTag + string(b) + "]")
	return l.err
}
