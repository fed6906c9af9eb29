package report

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/matrix"
)

// cell500 is twoWorks' cell with the collapse.
var cell500 = matrix.Cell{Network: "tcp", Conns: 500, Size: 64, Depth: 1, Work: "sleep:1ms"}

func TestJudge(t *testing.T) {
	res := twoWorks()
	tests := []struct {
		name             string
		cell             matrix.Cell
		metric           Metric
		winner, runnerUp string
		margin           float64
		tie              bool
	}{
		// 52,000 against 50,000: 1.04×, and the ranges (±5 %) overlap.
		{name: "throughput within the repeats is a tie", cell: cell500, metric: Throughput, winner: "pool", runnerUp: "std", margin: 1.04, tie: true},
		{name: "lower p99 wins", cell: cell500, metric: P99, winner: "pool", runnerUp: "std", margin: 14000.0 / 13000, tie: true},
		{name: "memory", cell: cell500, metric: Memory, winner: "epoll", runnerUp: "pool", margin: 16.0 / 12, tie: false},
		// 90,000 against 80,000: the ranges 85,500-94,500 and
		// 76,000-84,000 do not meet.
		{name: "throughput beyond the repeats", cell: matrix.Cell{Network: "tcp", Conns: 500, Size: 64, Depth: 1, Work: "none"}, metric: Throughput, winner: "epoll", runnerUp: "pool", margin: 90000.0 / 80000},
		{name: "p99 beyond the repeats", cell: matrix.Cell{Network: "tcp", Conns: 1, Size: 64, Depth: 1, Work: "none"}, metric: P99, winner: "epoll", runnerUp: "std", margin: 90.0 / 70},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := Judge(res, tt.cell, tt.metric)
			if !ok || v.Winner != tt.winner || v.RunnerUp != tt.runnerUp || v.Tie != tt.tie || math.Abs(v.Margin-tt.margin) > 1e-9 {
				t.Fatalf("Judge = %+v, want %s ahead of %s by %.4f×, tie %v", v, tt.winner, tt.runnerUp, tt.margin, tt.tie)
			}
		})
	}
}

func TestJudgeEqualMediansTie(t *testing.T) {
	res := workResults([]string{"none"}, []int{1}, []string{"std", "epoll"}, map[string]map[int]map[string]fig{
		"none": {1: {"std": {rate: 1000, p99: 50, rss: 10 << 20}, "epoll": {rate: 1000, p99: 50, rss: 10<<20 + 100<<10}}},
	})
	c := res.Meta.Cells[0]
	for _, m := range Metrics {
		v, ok := Judge(res, c, m)
		// Equal medians keep the matrix's order; RSS 2 % apart ties.
		if !ok || !v.Tie || v.Winner != "std" || v.RunnerUp != "epoll" {
			t.Errorf("%s: %+v, want a tie, std first", m, v)
		}
	}
}

func TestJudgeFlagsAndMissing(t *testing.T) {
	res := workResults([]string{"none", "cpu:20us"}, []int{50}, []string{"std", "epoll", "gnet", "cref"}, map[string]map[int]map[string]fig{
		"none": {50: {"std": {rate: 1000, p99: 50, rss: 1}, "epoll": {rate: 3000, p99: 40, rss: 1, clientBound: true}, "gnet": {rate: 2000, p99: 45, rss: 1}, "cref": {rate: 9000, p99: 10, rss: 1}}},
		// gnet did not run this work at all; the C reference never does.
		"cpu:20us": {50: {"std": {rate: 1000, p99: 50, rss: 1}, "epoll": {rate: 1100, p99: 40, rss: 1}}},
	})
	res.Meta.Reference = "cref"
	// Every run of std failed on the empty echo.
	for i := range res.Runs {
		if r := &res.Runs[i]; r.Engine == "std" && r.Cell.Work == "none" {
			r.Error = "server exited"
		}
	}
	res.Summaries = matrix.Summarize(res.Meta.Cells, res.Meta.EngineList, res.Runs)
	v, ok := Judge(res, res.Meta.Cells[0], Throughput)
	// The reference, though fastest, is not a model; the client-bound
	// epoll still wins, flagged.
	if !ok || v.Winner != "epoll" || v.RunnerUp != "gnet" || !slices.Equal(v.ClientBound, []string{"epoll"}) || !slices.Equal(v.Missing, []string{"std"}) {
		t.Fatalf("none: %+v, want epoll over gnet, epoll flagged client-bound, std missing", v)
	}
	v, ok = Judge(res, res.Meta.Cells[1], Throughput)
	if !ok || v.Winner != "epoll" || v.RunnerUp != "std" || !slices.Equal(v.Missing, []string{"gnet"}) || len(v.ClientBound) != 0 {
		t.Fatalf("cpu:20us: %+v, want epoll over std, gnet missing", v)
	}
	// A cell no model has a figure for gives no verdict.
	if _, ok := Judge(res, matrix.Cell{Network: "tcp", Conns: 7, Size: 64, Depth: 1, Work: "none"}, Throughput); ok {
		t.Fatal("a cell without figures gave a verdict")
	}
	// One model alone wins without a runner-up.
	alone := workResults([]string{"none"}, []int{1}, []string{"std", "epoll"}, map[string]map[int]map[string]fig{"none": {1: {"std": {rate: 5, p99: 5, rss: 5}}}})
	if v, ok := Judge(alone, alone.Meta.Cells[0], P99); !ok || v.Winner != "std" || v.RunnerUp != "" || v.Margin != 1 || v.Tie {
		t.Fatalf("alone: %+v", v)
	}
}

func TestJudgeWorksTally(t *testing.T) {
	wvs := JudgeWorks(twoWorks())
	if len(wvs) != 2 || wvs[1].Work != "sleep:1ms" || len(wvs[1].Cells) != 2 || len(wvs[1].Cells[0]) != 3 {
		t.Fatalf("verdicts %+v", wvs)
	}
	// sleep:1ms: throughput ties in both cells (910/900 and 52k/50k
	// overlap), so no one wins it; memory goes to epoll twice.
	if len(wvs[1].Wins[Throughput]) != 0 || wvs[1].Wins[Memory]["epoll"] != 2 {
		t.Fatalf("wins %v", wvs[1].Wins)
	}
	// No work axis, no verdicts.
	if JudgeWorks(sample()) != nil {
		t.Fatal("a matrix without works was judged")
	}
}

func TestVerdictMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, twoWorks(), "charts"); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"## Which model for which handler",
		"| tcp c500 64B d1 | pool ≈ std (tie: 52,000/s, 1.04×) |",
		"**epoll** 12.0 MiB, pool 1.33× more",
		"**epoll** 70 µs, std 1.29× higher",
		"Cells won outright, of 2: msgs/s: none (ties)",
		"## Against the empty echo",
		// pool at 500: p90 10,000 against 7,000 on the empty echo.
		"| tcp c500 64B d1 | pool | 10000.0 | 1.43× |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
}

func TestAgainstEmptyCPU(t *testing.T) {
	// 20 µs of work on a 6 µs echo costing 27.3 µs: 1.05 of 26.
	res := workResults([]string{"none", "cpu:20us"}, []int{50}, []string{"epoll"}, map[string]map[int]map[string]fig{
		"none":     {50: {"epoll": {rate: 1000, p90: 10, p99: 20, cpu: 6}}},
		"cpu:20us": {50: {"epoll": {rate: 500, p90: 30, p99: 60, cpu: 27.3}}},
	})
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, res, "charts"); err != nil {
		t.Fatal(err)
	}
	if want := "| tcp c50 64B d1 | epoll | 30.0 | 3.00× | 60.0 | 3.00× | 27.30 | 6.00 | 1.05 |  |"; !strings.Contains(buf.String(), want) {
		t.Fatalf("report lacks %q:\n%s", want, buf.String())
	}
	// A client-bound empty echo is flagged beside the ratios it gave.
	bound := workResults([]string{"none", "cpu:20us"}, []int{50}, []string{"epoll"}, map[string]map[int]map[string]fig{
		"none":     {50: {"epoll": {rate: 1000, p90: 10, p99: 20, cpu: 6, clientBound: true}}},
		"cpu:20us": {50: {"epoll": {rate: 500, p90: 30, p99: 60, cpu: 27.3}}},
	})
	buf.Reset()
	if err := WriteMarkdown(&buf, bound, "charts"); err != nil {
		t.Fatal(err)
	}
	if want := "| 1.05 | empty echo client-bound 3/3 |"; !strings.Contains(buf.String(), want) {
		t.Fatalf("report lacks %q:\n%s", want, buf.String())
	}
}

func TestJudgeLeavesOutTheURingReference(t *testing.T) {
	res := workResults([]string{"none"}, []int{50}, []string{"std", "uring", "cref", "curing"}, map[string]map[int]map[string]fig{
		"none": {50: {"std": {rate: 1000, p99: 50, rss: 1}, "uring": {rate: 2000, p99: 40, rss: 1},
			"cref": {rate: 3000, p99: 30, rss: 1}, "curing": {rate: 4000, p99: 20, rss: 1}}},
	})
	res.Meta.Reference = "cref"
	res.Meta.References = []string{"cref", "curing"}
	v, ok := Judge(res, res.Meta.Cells[0], Throughput)
	// Both C references are faster, but they are ceilings, not models.
	if !ok || v.Winner != "uring" || v.RunnerUp != "std" || len(v.Missing) != 0 {
		t.Fatalf("%+v, want uring over std and the C references left out", v)
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, res, "charts"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "`curing` is the C io_uring reference server") {
		t.Fatalf("the report does not say what curing is:\n%s", md.String())
	}
}
