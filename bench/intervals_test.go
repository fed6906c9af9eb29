package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rawnet/rawnet/frame"
)

func TestRunIntervals(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		interval time.Duration
		// want is the number of intervals, 0 when it depends on how
		// fast the run went (Count mode).
		want int
	}{
		{name: "whole intervals", cfg: Config{Conns: 4, Workers: 2, Duration: 500 * time.Millisecond, Warmup: 50 * time.Millisecond},
			interval: 100 * time.Millisecond, want: 5},
		{name: "a short last interval", cfg: Config{Conns: 3, Workers: 2, Depth: 2, Duration: 250 * time.Millisecond},
			interval: 100 * time.Millisecond, want: 3},
		{name: "longer than the run", cfg: Config{Conns: 2, Workers: 2, Duration: 100 * time.Millisecond},
			interval: time.Second, want: 1},
		{name: "open loop", cfg: Config{Conns: 4, Workers: 2, Rate: 2000, Duration: 300 * time.Millisecond},
			interval: 50 * time.Millisecond, want: 6},
		{name: "count", cfg: Config{Conns: 4, Workers: 2, Count: 300},
			interval: MinInterval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startTCP(t, frame.Spec{}, nil)
			var ivs []Interval
			var buf bytes.Buffer
			lw, err := NewLogWriter(&buf, "test")
			if err != nil {
				t.Fatal(err)
			}
			cfg := tt.cfg
			cfg.Addr = srv.addr
			cfg.Interval = tt.interval
			cfg.Intervals = func(iv Interval) {
				ivs = append(ivs, Interval{Index: iv.Index, Start: iv.Start, End: iv.End, Latency: iv.Latency.Clone()})
				lw.Interval(iv)
			}
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want > 0 && len(ivs) != tt.want {
				t.Fatalf("%d intervals, want %d", len(ivs), tt.want)
			}
			if len(ivs) == 0 {
				t.Fatal("no intervals")
			}
			end := res.Start.Add(time.Duration(res.Seconds * float64(time.Second)))
			var n int64
			whole := newHist()
			for k, iv := range ivs {
				if iv.Index != k {
					t.Errorf("interval %d has index %d", k, iv.Index)
				}
				wantStart := res.Start.Add(time.Duration(k) * tt.interval)
				if !iv.Start.Equal(wantStart) {
					t.Errorf("interval %d starts at %v, want %v", k, iv.Start, wantStart)
				}
				wantEnd := wantStart.Add(tt.interval)
				if k == len(ivs)-1 && wantEnd.After(end) {
					// end comes from Seconds, a float: allow its rounding.
					wantEnd = iv.End
					if d := iv.End.Sub(end); d < -time.Microsecond || d > time.Microsecond {
						t.Errorf("the last interval ends at %v, the measurement at %v", iv.End, end)
					}
				}
				if !iv.End.Equal(wantEnd) || iv.End.Before(iv.Start) {
					t.Errorf("interval %d ends at %v, want %v", k, iv.End, wantEnd)
				}
				n += iv.Latency.TotalCount()
				whole.Merge(iv.Latency)
			}
			if uint64(n) != res.Messages || res.Messages == 0 {
				t.Fatalf("intervals hold %d round trips, the run %d messages", n, res.Messages)
			}
			sameHist(t, whole, res.Histogram, percentiles())
			if err := lw.Result(res); err != nil {
				t.Fatal(err)
			}
			lg, err := ReadLog(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(lg.Intervals) != len(ivs) || lg.Result.Messages != res.Messages || lg.Result.Latency != res.Latency {
				t.Fatalf("log read back: %d intervals, %d messages, latency %+v; the run: %d, %d, %+v",
					len(lg.Intervals), lg.Result.Messages, lg.Result.Latency, len(ivs), res.Messages, res.Latency)
			}
		})
	}
}

func TestRunRefusesShortIntervals(t *testing.T) {
	_, err := Run(context.Background(), Config{Interval: MinInterval - 1, Intervals: func(Interval) {}})
	if err == nil || !strings.Contains(err.Error(), "shorter than") {
		t.Fatalf("Run with an interval under MinInterval: %v", err)
	}
}

// TestRunWithoutIntervals checks that a run without Config.Intervals
// still keeps its histogram, whatever Config.Interval says.
func TestRunWithoutIntervals(t *testing.T) {
	srv := startTCP(t, frame.Spec{}, nil)
	res, err := Run(context.Background(), Config{Addr: srv.addr, Conns: 2, Workers: 2, Count: 50, Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Histogram == nil || uint64(res.Histogram.TotalCount()) != res.Messages || res.Messages != 100 {
		t.Fatalf("%d messages, histogram %v", res.Messages, res.Histogram)
	}
}

func TestRunStartAt(t *testing.T) {
	srv := startTCP(t, frame.Spec{}, nil)
	at := time.Now().Add(300 * time.Millisecond).Round(0)
	warmup := 20 * time.Millisecond
	res, err := Run(context.Background(), Config{Addr: srv.addr, Conns: 2, Workers: 2, StartAt: at,
		Warmup: warmup, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Start.Equal(at.Add(warmup)) {
		t.Fatalf("measurement began at %v, want the start time %v plus the warmup", res.Start, at)
	}
	if time.Now().Before(at.Add(warmup)) {
		t.Fatal("Run returned before the start time")
	}
}

// TestRunStartAtLate opens connections slowly enough (ConnectRate) that
// they are ready well past StartLate after the start time.
func TestRunStartAtLate(t *testing.T) {
	srv := startTCP(t, frame.Spec{}, nil)
	res, err := Run(context.Background(), Config{Addr: srv.addr, Conns: 4, Workers: 1, ConnectRate: 2,
		StartAt: time.Now().Add(50 * time.Millisecond), Count: 1})
	if err == nil || !strings.Contains(err.Error(), "too late to start with the others") {
		t.Fatalf("Run: %v, want an error saying the connections were ready too late", err)
	}
	if res == nil || res.Messages != 0 {
		t.Fatalf("result %+v, want one that measured nothing", res)
	}
}

func TestCheckStartAt(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		at      time.Time
		wantErr string
	}{
		{name: "none"},
		{name: "soon", at: now.Add(time.Minute)},
		{name: "an hour", at: now.Add(MaxStartWait)},
		{name: "just passed", at: now.Add(-StartLate / 2)},
		{name: "too far", at: now.Add(MaxStartWait + time.Second), wantErr: "more than 1h0m0s"},
		{name: "passed", at: now.Add(-time.Minute), wantErr: "passed 1m0s ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkStartAt(tt.at, now)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("checkStartAt: %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}
