package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// MaxLogSize bounds the log ReadLog reads: a run with one-second
// intervals writes a few kilobytes per interval, so this holds days.
const MaxLogSize = 256 << 20

// ErrNoResult reports a log without the result line a finished run
// writes last: the run was cut short, or another program wrote the log.
var ErrNoResult = errors.New("bench: the log has no echo-bench result line: the run did not finish, or echo-bench did not write it")

// Log is a run read back from its HdrHistogram interval log.
type Log struct {
	// Tag is the tag of the log's intervals, "" when they carry none.
	Tag string
	// Intervals are the log's intervals in the order written.
	Intervals []Interval
	// Result is the result the run recorded, with Histogram the merge of
	// every interval and Latency computed from it.
	Result *Result
}

// ReadLog reads an HdrHistogram interval log that LogWriter wrote. It
// checks that the intervals hold as many round trips as the result
// counts messages, so a log missing intervals is refused rather than
// merged short.
func ReadLog(r io.Reader) (*Log, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxLogSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxLogSize {
		return nil, fmt.Errorf("bench: log larger than %d bytes", MaxLogSize)
	}
	res, err := resultLine(data)
	if err != nil {
		return nil, err
	}
	out := &Log{Result: res}
	var total *hdrhistogram.Histogram
	rd := hdrhistogram.NewHistogramLogReader(bytes.NewReader(data))
	for {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			return nil, fmt.Errorf("bench: interval %d: %w", len(out.Intervals)+1, err)
		}
		if h == nil {
			break
		}
		if total, err = combine(total, h); err != nil {
			return nil, fmt.Errorf("bench: interval %d: %w", len(out.Intervals)+1, err)
		}
		out.Tag = h.Tag()
		out.Intervals = append(out.Intervals, Interval{
			Index:   len(out.Intervals),
			Start:   time.UnixMilli(h.StartTimeMs()),
			End:     time.UnixMilli(h.EndTimeMs()),
			Latency: h,
		})
	}
	if total == nil {
		total = newHist()
	}
	if n := total.TotalCount(); uint64(n) != res.Messages {
		return nil, fmt.Errorf("bench: the log's intervals hold %d round trips but its result counts %d messages: intervals are missing", n, res.Messages)
	}
	res.Histogram = total
	res.Latency = summarize(total)
	return out, nil
}

// resultLine finds and decodes the result line of a log.
func resultLine(data []byte) (*Result, error) {
	var res *Result
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), MaxLogSize)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "#"+logResultTag)
		if !ok {
			continue
		}
		body, ok := strings.CutSuffix(line, "]")
		if !ok {
			return nil, errors.New("bench: the log's result line is cut short")
		}
		if res != nil {
			return nil, errors.New("bench: the log has two result lines: logs of two runs are concatenated")
		}
		res = &Result{}
		if err := json.Unmarshal([]byte(body), res); err != nil {
			return nil, fmt.Errorf("bench: the log's result line: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if res == nil {
		return nil, ErrNoResult
	}
	return res, nil
}

// combine returns the merge of a and b, exact bucket for bucket; it may
// change a, never b, and a nil a stands for an empty histogram. That
// needs the same lowest discernible value and significant figures, which
// fix where every bucket lies; the highest trackable value only decides
// how many buckets there are, so histograms that differ in it merge into
// the wider. Histograms of other settings are refused: re-bucketing one
// into the other would move values and the percentiles would no longer be
// exact.
func combine(a, b *hdrhistogram.Histogram) (*hdrhistogram.Histogram, error) {
	if a == nil {
		return b.Clone(), nil
	}
	if a.LowestTrackableValue() != b.LowestTrackableValue() || a.SignificantFigures() != b.SignificantFigures() {
		return nil, fmt.Errorf("bench: histograms of different settings cannot merge exactly: lowest value %d and %d significant figures against lowest value %d and %d significant figures",
			a.LowestTrackableValue(), a.SignificantFigures(), b.LowestTrackableValue(), b.SignificantFigures())
	}
	if b.HighestTrackableValue() > a.HighestTrackableValue() {
		a, b = b.Clone(), a
	}
	if dropped := a.Merge(b); dropped != 0 {
		return nil, fmt.Errorf("bench: %d values out of range in a histogram merge", dropped)
	}
	return a, nil
}
