package bench

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// sampleLog writes a two-interval log tagged host-1 whose measurement
// began at start.
func sampleLog(t *testing.T, start time.Time) []byte {
	t.Helper()
	a, b := newHist(), newHist()
	for v := int64(1000); v < 2000; v += 10 {
		_ = a.RecordValue(v)
	}
	_ = b.RecordValue(5_000_000)
	return logOf(t, "host-1", start, []*hdrhistogram.Histogram{a, b}, 4)
}

func TestLogRoundTrip(t *testing.T) {
	start := time.Date(2026, 3, 4, 5, 6, 7, 250e6, time.UTC)
	data := sampleLog(t, start)
	for _, want := range []string{
		"#[Histogram log format version 1.3]\n",
		"#[StartTime: 1772600767 (seconds since epoch), 2026-03-04T05:06:07Z]\n",
		"#[BaseTime: 1772600767 (seconds since epoch)]\n",
		"#[" + logVersionLine + "]\n",
		"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
		"Tag=host-1,0.250000,1.000000,",
		"Tag=host-1,1.250000,1.000000,5.",
		"#[echo-bench result: {\"network\":\"tcp\"",
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("log lacks %q:\n%s", want, data)
		}
	}
	lg, err := ReadLog(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if lg.Tag != "host-1" || len(lg.Intervals) != 2 {
		t.Fatalf("tag %q, %d intervals; want host-1 and 2", lg.Tag, len(lg.Intervals))
	}
	for k, iv := range lg.Intervals {
		s := start.Add(time.Duration(k) * time.Second)
		if !iv.Start.Equal(s) || !iv.End.Equal(s.Add(time.Second)) || iv.Index != k {
			t.Errorf("interval %d: %d from %v to %v, want from %v for a second", k, iv.Index, iv.Start, iv.End, s)
		}
	}
	if n := lg.Intervals[0].Latency.TotalCount() + lg.Intervals[1].Latency.TotalCount(); n != 101 {
		t.Errorf("intervals hold %d values, want 101", n)
	}
	r := lg.Result
	if r.Messages != 101 || r.Conns != 4 || !r.Start.Equal(start) || r.Histogram.TotalCount() != 101 || r.Latency.Max < 5000 {
		t.Errorf("result %+v", r)
	}
}

// TestLogLibraryReader reads a log with the HdrHistogram library's own
// reader alone: tags, absolute times and counts come back.
func TestLogLibraryReader(t *testing.T) {
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	rd := hdrhistogram.NewHistogramLogReader(bytes.NewReader(sampleLog(t, start)))
	var got []*hdrhistogram.Histogram
	for {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		got = append(got, h)
	}
	if len(got) != 2 {
		t.Fatalf("the library read %d intervals, want 2", len(got))
	}
	if got[1].Tag() != "host-1" || got[1].StartTimeMs() != start.Add(time.Second).UnixMilli() || got[1].TotalCount() != 1 {
		t.Errorf("second interval: tag %q, start %d ms, %d values", got[1].Tag(), got[1].StartTimeMs(), got[1].TotalCount())
	}
}

func TestReadLogRefuses(t *testing.T) {
	good := string(sampleLog(t, time.Unix(1_700_000_000, 0)))
	lines := strings.SplitAfter(good, "\n")
	resultAt := len(lines) - 2 // the last element is the empty one after the final newline
	withoutLine := func(i int) string { return strings.Join(append(append([]string{}, lines[:i]...), lines[i+1:]...), "") }
	tests := []struct {
		name    string
		log     string
		wantErr string
	}{
		{name: "empty", log: "", wantErr: "no echo-bench result line"},
		{name: "no result line", log: withoutLine(resultAt), wantErr: "no echo-bench result line"},
		{name: "an interval missing", log: withoutLine(resultAt - 1), wantErr: "intervals are missing"},
		{name: "two runs", log: good + good, wantErr: "two result lines"},
		{name: "result cut short", log: strings.TrimSuffix(good, "]\n"), wantErr: "cut short"},
		{name: "bad result", log: withoutLine(resultAt) + "#" + logResultTag + "{]\n", wantErr: "result line"},
		{name: "bad interval", log: strings.Replace(good, "HISTF", "HISTX", 1), wantErr: "interval 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadLog(strings.NewReader(tt.log))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ReadLog: %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
	if _, err := ReadLog(strings.NewReader("")); !errors.Is(err, ErrNoResult) {
		t.Errorf("ReadLog of nothing: %v, want ErrNoResult", err)
	}
}

func TestLogWriterTag(t *testing.T) {
	tests := []struct {
		tag string
		ok  bool
	}{
		{tag: "", ok: true}, {tag: "host-4242", ok: true}, {tag: "a,b"}, {tag: "a b"}, {tag: "a\nb"}, {tag: ","},
	}
	for _, tt := range tests {
		if _, err := NewLogWriter(&bytes.Buffer{}, tt.tag); (err == nil) != tt.ok {
			t.Errorf("NewLogWriter(tag %q): %v", tt.tag, err)
		}
	}
}

func TestLogWriterNoIntervals(t *testing.T) {
	var buf bytes.Buffer
	lw, err := NewLogWriter(&buf, "x")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1_700_000_000, 0)
	if err := lw.Result(&Result{Network: "tcp", Start: start, Error: "refused"}); err != nil {
		t.Fatal(err)
	}
	lg, err := ReadLog(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(lg.Intervals) != 0 || lg.Result.Error != "refused" || lg.Result.Histogram.TotalCount() != 0 {
		t.Fatalf("log of a run that measured nothing: %+v", lg)
	}
}

func FuzzReadLog(f *testing.F) {
	f.Add(string(sampleLogF(f)))
	f.Add("#[echo-bench result: {}]\n")
	f.Add("#[echo-bench result: {\"messages\":1}]\nTag=a,0.1,1.0,0.0,HISTFAAAAB94nJNpmSzMwMDAxQABzFCaEUoDAA7VAMo=\n")
	f.Fuzz(func(t *testing.T, log string) {
		lg, err := ReadLog(strings.NewReader(log))
		if err != nil {
			return
		}
		if uint64(lg.Result.Histogram.TotalCount()) != lg.Result.Messages {
			t.Fatalf("ReadLog accepted %d round trips for %d messages", lg.Result.Histogram.TotalCount(), lg.Result.Messages)
		}
	})
}

// sampleLogF is sampleLog for a fuzz seed.
func sampleLogF(f *testing.F) []byte {
	h := newHist()
	_ = h.RecordValue(12345)
	return logOf(f, "seed", time.Unix(1_700_000_000, 0), []*hdrhistogram.Histogram{h}, 1)
}
