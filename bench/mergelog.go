package bench

import (
	"fmt"
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// MergeLogs merges logs read back by ReadLog into one: its Result is the
// Merge of theirs, and its intervals are theirs merged by time, every
// interval with the same start and end (to the millisecond the format
// keeps) in one, in order of start. Runs given one Config.StartAt and the
// same Interval and Warmup line up interval for interval, so the merged
// log is the timeline of all their traffic; intervals that do not line up
// stay apart. Written with LogWriter the merged log reads back like any
// other, so merges can themselves be merged. The logs' histograms are not
// changed.
func MergeLogs(logs ...*Log) (*Log, error) {
	rs := make([]*Result, len(logs))
	for i, lg := range logs {
		rs[i] = lg.Result
	}
	res, err := Merge(rs...)
	if err != nil {
		return nil, err
	}
	type span struct{ start, end int64 }
	groups := map[span]*hdrhistogram.Histogram{}
	var spans []span
	for i, lg := range logs {
		for _, iv := range lg.Intervals {
			s := span{iv.Start.UnixMilli(), iv.End.UnixMilli()}
			h, err := combine(groups[s], iv.Latency)
			if err != nil {
				return nil, fmt.Errorf("bench: run %d: %w", i+1, err)
			}
			if groups[s] == nil {
				spans = append(spans, s)
			}
			groups[s] = h
		}
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.start != b.start {
			return int(a.start - b.start)
		}
		return int(a.end - b.end)
	})
	out := &Log{Result: res}
	for k, s := range spans {
		out.Intervals = append(out.Intervals, Interval{
			Index: k, Start: time.UnixMilli(s.start), End: time.UnixMilli(s.end), Latency: groups[s],
		})
	}
	return out, nil
}
