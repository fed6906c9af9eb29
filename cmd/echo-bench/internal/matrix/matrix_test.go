package matrix

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/cref"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/server/servertest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRunEndToEnd(t *testing.T) {
	bin := servertest.BinDir(t)
	var steps []Progress
	cfg := Config{
		BinDir: bin, Conns: []int{1, 4}, Sizes: []int{64}, Depths: []int{2},
		Duration: 150 * time.Millisecond, Warmup: 20 * time.Millisecond, Repeats: 2, IdleConns: 200,
		LogDir:   t.TempDir(),
		Progress: func(p Progress) { steps = append(steps, p) },
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// std, other and cref on 2 cells, twice, plus 3 idle phases.
	if len(res.Runs) != 12 || len(res.Idle) != 3 || len(steps) != 15 || steps[14].Total != 15 {
		t.Fatalf("%d runs, %d idle, %d steps; want 12, 3, 15", len(res.Runs), len(res.Idle), len(steps))
	}
	for _, r := range res.Runs {
		if r.Error != "" {
			t.Fatalf("run failed: %+v", r)
		}
		if r.Client.Messages == 0 || r.Server.RSS == 0 || r.Server.Threads != 1 {
			t.Fatalf("run not measured: %+v %+v", r.Client, r.Server)
		}
	}
	for _, i := range res.Idle {
		if i.Error != "" || i.RSSAfter == 0 {
			t.Fatalf("idle phase failed: %+v", i)
		}
	}
	if len(res.Summaries) != 6 || res.Meta.Reference != cref.Name || res.Meta.EngineList[0] != Baseline {
		t.Fatalf("summaries %d, reference %q, engines %v", len(res.Summaries), res.Meta.Reference, res.Meta.EngineList)
	}
	for _, e := range res.Engines {
		if e.Error != "" || len(e.Exit) == 0 {
			t.Fatalf("server %s did not stop cleanly: %+v", e.Name, e)
		}
	}
}

func TestRunNeedsBinaries(t *testing.T) {
	cfg := Default()
	cfg.BinDir = t.TempDir()
	cfg.IdleConns = 0
	if _, err := Run(context.Background(), cfg); err == nil {
		t.Fatal("Run without binaries succeeded")
	}
}

func TestRunCountSyscalls(t *testing.T) {
	if _, err := proc.OpenCounters(os.Getpid()); err != nil {
		t.Skipf("perf counters unavailable here: %v", err)
	}
	cfg := Config{
		BinDir: servertest.BinDir(t), Engines: []string{"std"}, NoCRef: true,
		Conns: []int{2}, Sizes: []int{64}, Depths: []int{1},
		Duration: 150 * time.Millisecond, Warmup: 20 * time.Millisecond, Repeats: 1,
		CountSyscalls: true,
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 2 || !res.Runs[1].Counted {
		t.Fatalf("runs %+v, want one timed run and one counting run", res.Runs)
	}
	s := res.Summaries[0]
	// A ping-pong echo costs the server a read and a write at least.
	if s.AllSyscallsPerMsg.N != 1 || s.AllSyscallsPerMsg.Median < 2 || s.MsgsPerSec.N != 1 {
		t.Errorf("summary %+v: want the counting run's syscalls (at least 2 per message) and the timed run's rate", s)
	}
}

func TestSummarizeSkipsUncountedRuns(t *testing.T) {
	cell := Cell{Network: "tcp", Conns: 1, Size: 64, Depth: 1}
	client := &bench.Result{MsgsPerSec: 1000}
	runs := []RunResult{
		{Cell: cell, Engine: "e", Client: client, Server: ServerMetrics{CPUUsPerMsg: 20}},
		{Cell: cell, Engine: "e", Client: client, Counted: true, NotCounted: "too many threads"},
	}
	s := Summarize([]Cell{cell}, []string{"e"}, runs)[0]
	if s.AllSyscallsPerMsg.N != 0 || s.SwitchesPerMsg.N != 0 {
		t.Errorf("a counting run that could not count gave figures: %+v, %+v", s.AllSyscallsPerMsg, s.SwitchesPerMsg)
	}
	if s.ServerUsPerMsg.N != 1 || s.Errors != 0 {
		t.Errorf("summary %+v: want the timed run only and no error", s)
	}
}
