package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rawnet/rawnet/bench"
)

// TestMergeRuns runs two load generators at once against one server,
// started together with --start-at (one given as RFC 3339, the other as
// Unix seconds), each writing its --hdr-log, and merges the logs.
func TestMergeRuns(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the load generator needs Linux")
	}
	addr := echoServer(t)
	dir := t.TempDir()
	at := time.Now().Add(time.Second).Truncate(time.Millisecond)
	starts := []string{at.Format(time.RFC3339Nano), fmt.Sprintf("%d.%03d", at.Unix(), at.Nanosecond()/1e6)}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([]bytes.Buffer, 2)
	for i, start := range starts {
		wg.Go(func() {
			args := []string{"--addr", addr, "--conns", "2", "--count", "150", "--hold-cpu=false", "--quiet",
				"--start-at", start, "--hdr-log", filepath.Join(dir, fmt.Sprintf("run%d.hlog", i)), "--hdr-interval", "100ms",
				"--hdr-tag", fmt.Sprintf("gen%d", i), "--json", filepath.Join(dir, fmt.Sprintf("run%d.json", i))}
			errs[i] = runLoad(context.Background(), args, &outs[i], &outs[i])
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, outs[i].String())
		}
	}
	var stdout, stderr bytes.Buffer
	mergedJSON := filepath.Join(dir, "merged.json")
	mergedLog := filepath.Join(dir, "merged.hlog")
	if err := runMerge(context.Background(), []string{"--json", mergedJSON, "--hdr-log", mergedLog, filepath.Join(dir, "run0.hlog"), filepath.Join(dir, "run1.hlog")}, &stdout, &stderr); err != nil {
		t.Fatalf("merge: %v\n%s", err, stderr.String())
	}
	// The merge's own log reads back as the same result.
	againJSON := filepath.Join(dir, "again.json")
	if err := runMerge(context.Background(), []string{"--json", againJSON, mergedLog}, io.Discard, io.Discard); err != nil {
		t.Fatalf("merge of the merged log: %v", err)
	}
	var runs [2]bench.Result
	for i := range runs {
		readJSON(t, filepath.Join(dir, fmt.Sprintf("run%d.json", i)), &runs[i])
		// A Count run's window opens as its traffic starts, a moment
		// after the start time (bench.Config.StartAt).
		if d := runs[i].Start.Sub(at); d < 0 || d > time.Second {
			t.Errorf("run %d began at %v, %v after the start time %v", i, runs[i].Start, d, at)
		}
	}
	var merged bench.Result
	readJSON(t, mergedJSON, &merged)
	if merged.Messages != 600 || merged.Messages != runs[0].Messages+runs[1].Messages || merged.Runs != 2 || merged.Conns != 4 {
		t.Errorf("merged %d messages over %d runs and %d conns; want 600 = %d + %d over 2 runs and 4 conns",
			merged.Messages, merged.Runs, merged.Conns, runs[0].Messages, runs[1].Messages)
	}
	if merged.Latency.Max != max(runs[0].Latency.Max, runs[1].Latency.Max) || merged.Latency.P50 <= 0 {
		t.Errorf("merged latency %+v from %+v and %+v", merged.Latency, runs[0].Latency, runs[1].Latency)
	}
	var again bench.Result
	readJSON(t, againJSON, &again)
	if again.Messages != merged.Messages || again.Latency != merged.Latency || again.Runs != 2 {
		t.Errorf("the merged log read back as %d messages, latency %+v, %d runs; the merge was %d, %+v, 2",
			again.Messages, again.Latency, again.Runs, merged.Messages, merged.Latency)
	}
	for _, want := range []string{"run0.hlog", "gen1", "merged      2 runs", "600 messages"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("merge's summary lacks %q:\n%s", want, stdout.String())
		}
	}
}

// readJSON decodes the JSON file at path into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestWindowSpread(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	log := func(startMs int, secs float64) *bench.Log {
		return &bench.Log{Result: &bench.Result{Start: at.Add(time.Duration(startMs) * time.Millisecond), Seconds: secs}}
	}
	tests := []struct {
		name string
		logs []*bench.Log
		want float64
	}{
		{name: "together", logs: []*bench.Log{log(0, 2), log(0, 2)}, want: 0},
		{name: "one late", logs: []*bench.Log{log(0, 2), log(500, 2)}, want: 0.5},
		{name: "one longer", logs: []*bench.Log{log(0, 2), log(0, 3)}, want: 1},
	}
	for _, tt := range tests {
		if got := windowSpread(tt.logs); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: windowSpread = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMergeRefuses(t *testing.T) {
	dir := t.TempDir()
	notLog := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notLog, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no file", args: nil, wantErr: "no log to merge"},
		{name: "missing file", args: []string{filepath.Join(dir, "gone.hlog")}, wantErr: "gone.hlog"},
		{name: "not a log", args: []string{notLog}, wantErr: "notes.txt: bench: the log has no echo-bench result line"},
		{name: "two formats on stdout", args: []string{"--json", "-", "--csv", "-", notLog}, wantErr: "stdout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runMerge(context.Background(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("merge %q: %v, want an error saying %q", tt.args, err, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("a refused merge wrote %q", stdout.String())
			}
		})
	}
}

func TestParseStartAt(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "", want: time.Time{}},
		{in: "2026-05-01T12:00:00Z", want: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)},
		{in: "2026-05-01T14:00:00.5+02:00", want: time.Date(2026, 5, 1, 12, 0, 0, 500e6, time.UTC)},
		{in: "1777636800", want: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)},
		{in: " 1777636800.25 ", want: time.Date(2026, 5, 1, 12, 0, 0, 250e6, time.UTC)},
		{in: "tomorrow", bad: true},
		{in: "-5", bad: true},
		{in: "NaN", bad: true},
		{in: "1e30", bad: true},
		{in: "99999999999999", bad: true},
		{in: "1777636800.1234567891", bad: true},
		{in: "1777636800.x", bad: true},
		{in: "2026-05-01 12:00", bad: true},
	}
	for _, tt := range tests {
		got, err := parseStartAt(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && !got.Equal(tt.want)) {
			t.Errorf("parseStartAt(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.bad)
		}
	}
}
