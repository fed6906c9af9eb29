package scale

import (
	"context"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/server/servertest"
)

func TestRun(t *testing.T) {
	bin := servertest.BinDir(t)
	cfg := Config{
		BinDir: bin, Engine: "std", Conns: 300, Active: -1, Rate: -1, Size: 64,
		Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond, LogDir: t.TempDir(),
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error != "" {
		t.Fatalf("scale failed: %s", res.Error)
	}
	if res.Active != 150 || res.Rate != 150 {
		t.Errorf("active %d at rate %v, want half the connections at one message per second each", res.Active, res.Rate)
	}
	if res.Idle == nil || res.Idle.Messages != 150 {
		t.Errorf("idle result %+v, want one echo on each of 150 connections", res.Idle)
	}
	if res.Traffic == nil || res.Traffic.Messages == 0 {
		t.Errorf("traffic result %+v, want messages", res.Traffic)
	}
	if res.Procs != 1 || len(res.Servers) != 1 || res.Servers[0].Conns != 300 || res.Clients != nil {
		t.Errorf("procs %d, servers %+v, %d client processes; want one server holding all 300 and no client processes", res.Procs, res.Servers, len(res.Clients))
	}
	if res.RSS <= 0 || res.HWM < res.RSS || res.NoFile < 300 {
		t.Errorf("RSS %d, HWM %d, nofile %d", res.RSS, res.HWM, res.NoFile)
	}
}

func TestRunRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{name: "no conns", cfg: Config{Size: 64, Duration: time.Second}},
		{name: "more active than conns", cfg: Config{Conns: 10, Active: 11, Size: 64, Duration: time.Second}},
		{name: "no size", cfg: Config{Conns: 10, Duration: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Run(context.Background(), tt.cfg); err == nil {
				t.Error("Run accepted a config it cannot run")
			}
		})
	}
}

func TestLoopbackSources(t *testing.T) {
	tests := []struct {
		name  string
		block byte
		conns int
		want  []string
	}{
		{name: "one", block: 1, conns: 10, want: []string{"127.0.1.1"}},
		{name: "exact", block: 2, conns: 40_000, want: []string{"127.0.2.1", "127.0.2.2"}},
		{name: "over", block: 2, conns: 40_001, want: []string{"127.0.2.1", "127.0.2.2", "127.0.2.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loopbackSources(tt.block, tt.conns)
			if len(got) != len(tt.want) {
				t.Fatalf("loopbackSources(%d, %d) = %v, want %v", tt.block, tt.conns, got, tt.want)
			}
			for i, w := range tt.want {
				if got[i] != netip.MustParseAddr(w) {
					t.Errorf("address %d = %v, want %s", i, got[i], w)
				}
			}
		})
	}
}

func TestAutoProcs(t *testing.T) {
	tests := []struct {
		name  string
		conns int
		limit uint64
		want  int
	}{
		{name: "fits in one", conns: 19_000, limit: 20_000, want: 1},
		{name: "exactly one", conns: 20_000 - spareFDs, limit: 20_000, want: 1},
		{name: "one over", conns: 20_000 - spareFDs + 1, limit: 20_000, want: 2},
		{name: "twenty thousand", conns: 20_000, limit: 20_000, want: 2},
		{name: "one hundred thousand", conns: 100_000, limit: 20_000, want: 6},
		{name: "raised limit", conns: 100_000, limit: 1 << 20, want: 1},
		{name: "tiny limit", conns: 1000, limit: 512, want: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := autoProcs(tt.conns, tt.limit)
			if got != tt.want {
				t.Fatalf("autoProcs(%d, %d) = %d, want %d", tt.conns, tt.limit, got, tt.want)
			}
			if err := checkProcs(tt.conns, got, tt.limit); err != nil {
				t.Errorf("checkProcs rejects what autoProcs picked: %v", err)
			}
			if got > 1 {
				if err := checkProcs(tt.conns, got-1, tt.limit); err == nil {
					t.Errorf("%d processes would do too, so %d is not the fewest", got-1, got)
				}
			}
		})
	}
}

func TestCheckProcs(t *testing.T) {
	tests := []struct {
		name         string
		conns, procs int
		limit        uint64
		wantErr      string
	}{
		{name: "one fits", conns: 1000, procs: 1, limit: 20_000},
		{name: "split by choice", conns: 1000, procs: 4, limit: 20_000},
		{name: "one too many", conns: 30_000, procs: 1, limit: 20_000, wantErr: "CAP_SYS_RESOURCE"},
		{name: "shares too big", conns: 100_000, procs: 5, limit: 20_000, wantErr: "use --procs 6 or more"},
		{name: "more processes than connections", conns: 3, procs: 4, limit: 20_000, wantErr: "at least one connection each"},
		{name: "too many processes", conns: 1000, procs: maxProcs + 1, limit: 20_000, wantErr: "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkProcs(tt.conns, tt.procs, tt.limit)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("checkProcs(%d, %d, %d): %v", tt.conns, tt.procs, tt.limit, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("checkProcs(%d, %d, %d) = %v, want an error saying %q", tt.conns, tt.procs, tt.limit, err, tt.wantErr)
			}
		})
	}
}

func TestShares(t *testing.T) {
	cfg := Config{Conns: 1001, Active: 500, Rate: 1000, Size: 64, ConnectRate: 300, ClientCPUs: []int{0}}
	shs := shares(&cfg, 3, "127.0.0.1:9")
	var idle, active int
	var rate, connectRate float64
	blocks := map[byte]bool{}
	for _, sh := range shs {
		idle += sh.Idle
		active += sh.Active
		rate += sh.Rate
		connectRate += sh.ConnectRate
		if sh.Addr != "127.0.0.1:9" || sh.Workers != 1 || sh.Idle-shs[2].Idle > 1 || sh.Active-shs[2].Active > 1 {
			t.Errorf("share %+v", sh)
		}
		blocks[sh.IdleBlock], blocks[sh.ActiveBlock] = true, true
	}
	if idle != 501 || active != 500 || rate < 999.999 || rate > 1000.001 || connectRate < 299.999 || connectRate > 300.001 {
		t.Errorf("shares add up to %d idle, %d active, %v msgs/s, %v connects/s; want 501, 500, 1000, 300", idle, active, rate, connectRate)
	}
	if len(blocks) != 6 || blocks[0] {
		t.Errorf("source blocks %v, want six distinct, none 0", blocks)
	}
}

func TestMergeResults(t *testing.T) {
	hist := func(vs ...int64) *hdrhistogram.Histogram {
		h := hdrhistogram.New(1, 60_000_000_000, 3)
		for _, v := range vs {
			_ = h.RecordValue(v)
		}
		return h
	}
	start := time.Unix(1_700_000_000, 0)
	traffic := func(msgs int, lat ...int64) *bench.Result {
		return &bench.Result{Network: "tcp", Framing: "raw", Depth: 1, Sizes: "64", Conns: 10, Rate: 10,
			Start: start, Seconds: 2, Messages: uint64(msgs), Histogram: hist(lat...),
			Client: bench.ClientCPU{UserSec: 0.75, SysSec: 0.25, WaitSec: 0.9, Cores: 1, Utilization: 0.5, Waiting: 0.45}}
	}
	rs := []ClientResult{
		{Traffic: traffic(3, 10_000, 20_000, 30_000)},
		{},
		{Traffic: traffic(2, 40_000_000, 50_000), Error: "x"},
	}
	rs[2].Traffic.Error = "lost"
	// Through the encoding a client process sends.
	for i := range rs {
		if err := rs[i].encodeHists(); err != nil {
			t.Fatal(err)
		}
		if rs[i].Traffic != nil {
			rs[i].Traffic.Histogram = nil
		}
		if err := rs[i].decodeHists(); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name        string
		cores       int
		wantUtil    float64
		wantWaiting float64
		wantBound   bool
	}{
		// 2 CPU seconds and 1.8 s waiting for a CPU in 2 s, though each
		// process used only half a core: all of one shared core, half
		// of two (with the wait, 95% wanted), a quarter of four.
		{name: "one shared core", cores: 1, wantUtil: 1, wantWaiting: 0.9, wantBound: true},
		{name: "two cores", cores: 2, wantUtil: 0.5, wantWaiting: 0.45, wantBound: true},
		{name: "four cores", cores: 4, wantUtil: 0.25, wantWaiting: 0.225},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mergeResults(rs, func(r *ClientResult) *bench.Result { return r.Traffic }, tt.cores)
			if err != nil {
				t.Fatal(err)
			}
			if got.Conns != 20 || got.Rate != 20 || got.Seconds != 2 || got.Messages != 5 || got.MsgsPerSec != 2.5 || got.Runs != 2 {
				t.Errorf("counts %+v", got)
			}
			want := hist(10_000, 20_000, 30_000, 40_000_000, 50_000)
			if got.Latency.P50 != float64(want.ValueAtPercentile(50))/1e3 || got.Latency.P99 != float64(want.ValueAtPercentile(99))/1e3 ||
				got.Latency.Max != float64(want.Max())/1e3 || got.Latency.Mean != want.Mean()/1e3 {
				t.Errorf("latency %+v, want the percentiles of every round trip", got.Latency)
			}
			if c := got.Client; c.Cores != tt.cores || math.Abs(c.Utilization-tt.wantUtil) > 1e-9 || math.Abs(c.Waiting-tt.wantWaiting) > 1e-9 ||
				c.Bound != tt.wantBound || got.Error != "run 2: lost" {
				t.Errorf("client %+v, error %q; want utilization %v and waiting %v of %d cores, bound %v", c, got.Error, tt.wantUtil, tt.wantWaiting, tt.cores, tt.wantBound)
			}
		})
	}
	if r, err := mergeResults(rs, func(r *ClientResult) *bench.Result { return r.Idle }, 1); r != nil || err != nil {
		t.Errorf("merging no results gave %v, %v", r, err)
	}
	rs[0].Traffic.Histogram = nil
	if _, err := mergeResults(rs, func(r *ClientResult) *bench.Result { return r.Traffic }, 1); err == nil {
		t.Error("a result without its histogram merged")
	}
}
