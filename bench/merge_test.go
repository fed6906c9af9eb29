package bench

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"pgregory.net/rapid"
)

// fataler is what the helpers below need of *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// percentiles are the points TestMergeExact compares: a fine grid and the
// far tail.
func percentiles() []float64 {
	var ps []float64
	for p := 0.0; p <= 100; p += 0.5 {
		ps = append(ps, p)
	}
	return append(ps, 99.9, 99.99, 99.999, 99.9999)
}

// logOf writes one run's intervals as a log, with the result line a run
// that measured them would write, and returns the log.
func logOf(t fataler, tag string, start time.Time, ivs []*hdrhistogram.Histogram, conns int) []byte {
	t.Helper()
	var buf bytes.Buffer
	lw, err := NewLogWriter(&buf, tag)
	if err != nil {
		t.Fatal(err)
	}
	total := newHist()
	for k, h := range ivs {
		total.Merge(h)
		s := start.Add(time.Duration(k) * time.Second)
		lw.Interval(Interval{Index: k, Start: s, End: s.Add(time.Second), Latency: h})
	}
	n := uint64(total.TotalCount())
	secs := float64(len(ivs))
	res := &Result{Network: "tcp", Addr: "127.0.0.1:9000", Framing: "raw", Conns: conns, Depth: 1, Sizes: "64",
		Start: start, Seconds: secs, Messages: n, Bytes: 64 * n, MsgsPerSec: float64(n) / secs,
		Latency: summarize(total), Client: ClientCPU{UserSec: 0.5, SysSec: 0.25, Cores: 1, Utilization: 0.75 / secs}}
	if err := lw.Result(res); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mergeLogs reads logs back and merges them.
func mergeLogs(t fataler, logs [][]byte) *Result {
	t.Helper()
	var rs []*Result
	for i, l := range logs {
		lg, err := ReadLog(bytes.NewReader(l))
		if err != nil {
			t.Fatalf("log %d: %v", i+1, err)
		}
		rs = append(rs, lg.Result)
	}
	m, err := Merge(rs...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sameHist fails the test unless got and want agree on every count, the
// percentiles ps, the total, minimum, maximum, mean and deviation.
func sameHist(t fataler, got, want *hdrhistogram.Histogram, ps []float64) {
	t.Helper()
	if got.TotalCount() != want.TotalCount() || got.Min() != want.Min() || got.Max() != want.Max() ||
		got.Mean() != want.Mean() || got.StdDev() != want.StdDev() {
		t.Fatalf("merged: count %d min %d max %d mean %v sd %v; one histogram: count %d min %d max %d mean %v sd %v",
			got.TotalCount(), got.Min(), got.Max(), got.Mean(), got.StdDev(),
			want.TotalCount(), want.Min(), want.Max(), want.Mean(), want.StdDev())
	}
	for _, p := range ps {
		if g, w := got.ValueAtPercentile(p), want.ValueAtPercentile(p); g != w {
			t.Fatalf("p%v: merged %d, one histogram %d", p, g, w)
		}
	}
	gc, wc := got.Export().Counts, want.Export().Counts
	for i := range max(len(gc), len(wc)) {
		var g, w int64
		if i < len(gc) {
			g = gc[i]
		}
		if i < len(wc) {
			w = wc[i]
		}
		if g != w {
			t.Fatalf("bucket %d: merged %d, one histogram %d", i, g, w)
		}
	}
}

func TestMergeExact(t *testing.T) {
	tests := []struct {
		name      string
		runs      int
		intervals int
		samples   int
		// draw returns run i's next latency in nanoseconds.
		draw func(rng *rand.Rand, run int) int64
	}{
		{name: "same distribution", runs: 4, intervals: 5, samples: 60_000,
			draw: func(rng *rand.Rand, _ int) int64 { return 20_000 + rng.Int64N(80_000) }},
		{name: "one slow run", runs: 3, intervals: 3, samples: 40_000,
			draw: func(rng *rand.Rand, run int) int64 {
				if run == 2 {
					return 5_000_000 + rng.Int64N(20_000_000)
				}
				return 30_000 + rng.Int64N(10_000)
			}},
		{name: "heavy tail", runs: 6, intervals: 4, samples: 90_000,
			draw: func(rng *rand.Rand, _ int) int64 {
				return int64(min(1_000*math.Exp(rng.ExpFloat64()*3), histMax))
			}},
		{name: "one run", runs: 1, intervals: 2, samples: 10_000,
			draw: func(rng *rand.Rand, _ int) int64 { return 1 + rng.Int64N(histMax) }},
		{name: "a run with no samples", runs: 3, intervals: 2, samples: 10_000,
			draw: func(rng *rand.Rand, run int) int64 { return 1 + rng.Int64N(1_000_000) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(tt.name))))
			whole := newHist()
			runs := make([][]*hdrhistogram.Histogram, tt.runs)
			for i := range runs {
				for range tt.intervals {
					runs[i] = append(runs[i], newHist())
				}
			}
			active := tt.runs
			if tt.name == "a run with no samples" {
				active = tt.runs - 1
			}
			for range tt.samples {
				i := rng.IntN(active)
				v := tt.draw(rng, i)
				if err := runs[i][rng.IntN(tt.intervals)].RecordValue(v); err != nil {
					t.Fatal(err)
				}
				if err := whole.RecordValue(v); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			var logs [][]byte
			for i, ivs := range runs {
				logs = append(logs, logOf(t, "run"+string(rune('a'+i)), start, ivs, 10))
			}
			m := mergeLogs(t, logs)
			sameHist(t, m.Histogram, whole, percentiles())
			if m.Latency != summarize(whole) {
				t.Fatalf("merged latency %+v, one histogram's %+v", m.Latency, summarize(whole))
			}
			if m.Messages != uint64(tt.samples) || m.Runs != tt.runs || m.Conns != 10*tt.runs {
				t.Errorf("merged %d messages over %d runs and %d conns, want %d, %d, %d", m.Messages, m.Runs, m.Conns, tt.samples, tt.runs, 10*tt.runs)
			}
		})
	}
}

// TestAveragedPercentilesDiffer shows what TestMergeExact guards against:
// with one slow run, the mean of the runs' p99s is far from the p99 of
// every round trip, which Merge reports.
func TestAveragedPercentilesDiffer(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	whole := newHist()
	var logs [][]byte
	var sum float64
	for run := range 3 {
		h := newHist()
		for range 10_000 {
			v := 30_000 + rng.Int64N(10_000)
			if run == 2 && rng.IntN(10) == 0 {
				v = 10_000_000
			}
			_ = h.RecordValue(v)
			_ = whole.RecordValue(v)
		}
		sum += float64(h.ValueAtPercentile(99)) / 1e3
		logs = append(logs, logOf(t, "", time.Unix(1_700_000_000, 0), []*hdrhistogram.Histogram{h}, 1))
	}
	m := mergeLogs(t, logs)
	exact := float64(whole.ValueAtPercentile(99)) / 1e3
	if m.Latency.P99 != exact {
		t.Fatalf("merged p99 %v µs, exact %v µs", m.Latency.P99, exact)
	}
	if avg := sum / 3; math.Abs(avg-exact)/exact < 0.5 {
		t.Fatalf("the mean of the runs' p99s (%v µs) is close to the exact p99 (%v µs): the data does not tell them apart", avg, exact)
	}
}

// TestMergeProperty checks Merge on any samples spread over any number
// of runs; TestMergeExact goes through the logs as well.
func TestMergeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		runs := rapid.IntRange(1, 5).Draw(t, "runs")
		samples := rapid.SliceOfN(rapid.Int64Range(histMin, histMax), 0, 400).Draw(t, "samples")
		whole := newHist()
		rs := make([]*Result, runs)
		for i := range rs {
			rs[i] = &Result{Network: "tcp", Framing: "raw", Depth: 1, Sizes: "64", Histogram: newHist()}
		}
		for _, v := range samples {
			r := rs[rapid.IntRange(0, runs-1).Draw(t, "run")]
			if err := r.Histogram.RecordValue(v); err != nil {
				t.Fatal(err)
			}
			r.Messages++
			_ = whole.RecordValue(v)
		}
		m, err := Merge(rs...)
		if err != nil {
			t.Fatal(err)
		}
		// Equal counts in every bucket make every percentile equal;
		// the summary's are checked through Latency.
		sameHist(t, m.Histogram, whole, nil)
		if m.Latency != summarize(whole) || m.Messages != uint64(len(samples)) {
			t.Fatalf("merged latency %+v over %d messages, one histogram's %+v over %d", m.Latency, m.Messages, summarize(whole), len(samples))
		}
	})
}

func TestMergeSums(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hist := func(vs ...int64) *hdrhistogram.Histogram {
		h := newHist()
		for _, v := range vs {
			_ = h.RecordValue(v)
		}
		return h
	}
	a := &Result{Network: "udp", Addr: "198.18.0.1:9001", Framing: "raw", Conns: 10, Depth: 1, Sizes: "64",
		Start: start, Seconds: 2, Messages: 2, Bytes: 128, Histogram: hist(1000, 3000),
		UDP:    &UDPStats{Sent: 4, Received: 2, Lost: 2, Late: 1, JitterUs: 10},
		Client: ClientCPU{UserSec: 1, SysSec: 1, Cores: 1, Bound: true}}
	b := &Result{Network: "udp", Addr: "198.18.0.5:9001", Framing: "raw", Conns: 30, Depth: 1, Sizes: "64",
		Start: start.Add(time.Second), Seconds: 2, Messages: 1, Bytes: 64, Histogram: hist(2000),
		UDP:    &UDPStats{Sent: 1, Received: 1, Reordered: 1, JitterUs: 30},
		Client: ClientCPU{UserSec: 0.5, SysSec: 0.5, Cores: 2}, Error: "lost"}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := UDPStats{Sent: 5, Received: 3, Lost: 2, Late: 1, Reordered: 1, LossPercent: 40, JitterUs: 25}
	if *m.UDP != want {
		t.Errorf("UDP %+v, want %+v", *m.UDP, want)
	}
	if !m.Start.Equal(start) || m.Seconds != 3 || m.MsgsPerSec != 1 || m.Messages != 3 || m.Bytes != 192 || m.Conns != 40 {
		t.Errorf("start %v, %v s, %v msgs/s, %d messages, %d bytes, %d conns; want the 3 s from the first start to the last end", m.Start, m.Seconds, m.MsgsPerSec, m.Messages, m.Bytes, m.Conns)
	}
	if m.Addr != "198.18.0.1:9001,198.18.0.5:9001" || m.Error != "run 2: lost" || m.Runs != 2 {
		t.Errorf("addr %q, error %q, runs %d", m.Addr, m.Error, m.Runs)
	}
	// 3 CPU seconds over 1 core for 2 s and 2 cores for 2 s.
	if c := m.Client; c.Cores != 3 || c.UserSec != 1.5 || c.SysSec != 1.5 || c.Utilization != 0.5 || c.UsPerMsg != 1e6 || !c.Bound {
		t.Errorf("client %+v", c)
	}
	if want := summarize(hist(1000, 2000, 3000)); m.Latency != want || m.Latency.P50 != 2 {
		t.Errorf("latency %+v, want %+v", m.Latency, want)
	}
}

func TestMergeRefuses(t *testing.T) {
	base := func() *Result {
		return &Result{Network: "tcp", Framing: "raw", Depth: 1, Sizes: "64", Histogram: newHist()}
	}
	other := func(change func(r *Result)) *Result {
		r := base()
		change(r)
		return r
	}
	tests := []struct {
		name    string
		rs      []*Result
		wantErr string
	}{
		{name: "nothing", wantErr: "nothing to merge"},
		{name: "network", rs: []*Result{base(), other(func(r *Result) { r.Network = "udp" })}, wantErr: "network is udp"},
		{name: "framing", rs: []*Result{base(), other(func(r *Result) { r.Framing = "line" })}, wantErr: "framing"},
		{name: "sizes", rs: []*Result{base(), other(func(r *Result) { r.Sizes = "1024" })}, wantErr: "message size"},
		{name: "depth", rs: []*Result{base(), other(func(r *Result) { r.Depth = 16 })}, wantErr: "depth"},
		{name: "open and closed loop", rs: []*Result{base(), other(func(r *Result) { r.Rate = 100 })}, wantErr: "mode is open loop"},
		{name: "no histogram", rs: []*Result{base(), other(func(r *Result) { r.Histogram = nil })}, wantErr: "no histogram"},
		{name: "significant figures", rs: []*Result{base(), other(func(r *Result) { r.Histogram = hdrhistogram.New(histMin, histMax, 2) })},
			wantErr: "different settings"},
		{name: "lowest value", rs: []*Result{base(), other(func(r *Result) { r.Histogram = hdrhistogram.New(1000, histMax, histSigFigs) })},
			wantErr: "different settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Merge(tt.rs...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Merge: %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}

// TestMergeWiderRange merges histograms that differ only in their highest
// trackable value: the buckets lie in the same places, so the merge into
// the wider one is exact, in either order.
func TestMergeWiderRange(t *testing.T) {
	narrow := hdrhistogram.New(histMin, 1_000_000, histSigFigs)
	wide := newHist()
	whole := newHist()
	for v := int64(1); v < 1_000_000; v = v*3/2 + 1 {
		_ = narrow.RecordValue(v)
		_ = whole.RecordValue(v)
	}
	for v := int64(1000); v < histMax; v *= 7 {
		_ = wide.RecordValue(v)
		_ = whole.RecordValue(v)
	}
	r := func(h *hdrhistogram.Histogram) *Result {
		return &Result{Network: "tcp", Framing: "raw", Depth: 1, Sizes: "64", Histogram: h, Messages: uint64(h.TotalCount())}
	}
	for _, order := range [][]*hdrhistogram.Histogram{{narrow, wide}, {wide, narrow}} {
		narrowBefore := narrow.TotalCount()
		m, err := Merge(r(order[0]), r(order[1]))
		if err != nil {
			t.Fatal(err)
		}
		sameHist(t, m.Histogram, whole, percentiles())
		if narrow.TotalCount() != narrowBefore || m.Histogram == narrow || m.Histogram == wide {
			t.Fatal("Merge changed a result's histogram")
		}
	}
}

// TestMergeLogs merges three logs, two of which line up interval for
// interval, writes the merge as a log and merges that with the third
// again: the intervals group by time and the result stays exact.
func TestMergeLogs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	whole := newHist()
	runLog := func(start time.Time, intervals int) []byte {
		var ivs []*hdrhistogram.Histogram
		for range intervals {
			h := newHist()
			for range 1000 {
				v := 1000 + rng.Int64N(1_000_000)
				_ = h.RecordValue(v)
				_ = whole.RecordValue(v)
			}
			ivs = append(ivs, h)
		}
		return logOf(t, "", start, ivs, 2)
	}
	read := func(b []byte) *Log {
		lg, err := ReadLog(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return lg
	}
	a, b := read(runLog(start, 3)), read(runLog(start, 3))
	late := read(runLog(start.Add(500*time.Millisecond), 2))
	ab, err := MergeLogs(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ab.Intervals) != 3 || ab.Intervals[1].Latency.TotalCount() != 2000 || !ab.Intervals[2].Start.Equal(start.Add(2*time.Second)) {
		t.Fatalf("two aligned logs of 3 intervals merged into %d intervals", len(ab.Intervals))
	}
	var buf bytes.Buffer
	lw, err := NewLogWriter(&buf, "merged")
	if err != nil {
		t.Fatal(err)
	}
	for _, iv := range ab.Intervals {
		lw.Interval(iv)
	}
	if err := lw.Result(ab.Result); err != nil {
		t.Fatal(err)
	}
	all, err := MergeLogs(read(buf.Bytes()), late)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Intervals) != 5 || all.Result.Runs != 3 || all.Result.Messages != 8000 {
		t.Fatalf("%d intervals, %d runs, %d messages; want 5 (3 aligned, 2 not), 3, 8000", len(all.Intervals), all.Result.Runs, all.Result.Messages)
	}
	for k := 1; k < len(all.Intervals); k++ {
		if all.Intervals[k].Start.Before(all.Intervals[k-1].Start) {
			t.Fatalf("interval %d starts before interval %d", k, k-1)
		}
	}
	sameHist(t, all.Result.Histogram, whole, percentiles())
	if a.Intervals[0].Latency.TotalCount() != 1000 {
		t.Fatal("MergeLogs changed a log's histogram")
	}
}
