package report

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/matrix"
)

// fig is one engine's figures in one cell of a synthetic matrix.
type fig struct {
	rate, p90, p99, cpu float64
	rss                 int64
	clientBound         bool
}

// workResults builds a matrix over works and connection counts, one
// size and depth, from figs (by work, conns and engine), with three
// repeats per cell at 0.95, 1 and 1.05 times each figure (so each
// figure's range is ±5 %).
func workResults(works []string, conns []int, engines []string, figs map[string]map[int]map[string]fig) *matrix.Results {
	var base []matrix.Cell
	for _, c := range conns {
		base = append(base, matrix.Cell{Network: "tcp", Conns: c, Size: 64, Depth: 1})
	}
	cells := matrix.WithWorks(works, base)
	res := &matrix.Results{Meta: matrix.Meta{Baseline: "std", Cells: cells, Works: works, EngineList: engines, Repeats: 3, Duration: 2}}
	for _, c := range cells {
		for _, e := range engines {
			f, ok := figs[c.Work][c.Conns][e]
			if !ok {
				continue
			}
			for r, k := range []float64{0.95, 1, 1.05} {
				res.Runs = append(res.Runs, matrix.RunResult{Cell: c, Engine: e, Repeat: r,
					Client: &bench.Result{MsgsPerSec: f.rate * k,
						Latency: bench.Latency{P90: f.p90 * k, P99: f.p99 * k},
						Client:  bench.ClientCPU{Bound: f.clientBound}},
					Server: matrix.ServerMetrics{CPUUsPerMsg: f.cpu * k, RSS: f.rss, Threads: 4}})
			}
		}
	}
	res.Summaries = matrix.Summarize(cells, engines, res.Runs)
	return res
}

// twoWorks is a matrix of std, epoll and pool on none and sleep:1ms at
// 1 and 500 connections: epoll collapses on the sleep at 500.
func twoWorks() *matrix.Results {
	return workResults([]string{"none", "sleep:1ms"}, []int{1, 500}, []string{"std", "epoll", "pool"},
		map[string]map[int]map[string]fig{
			"none": {
				1:   {"std": {rate: 20000, p90: 60, p99: 90, cpu: 20, rss: 10 << 20}, "epoll": {rate: 25000, p90: 50, p99: 70, cpu: 12, rss: 8 << 20}, "pool": {rate: 18000, p90: 70, p99: 100, cpu: 14, rss: 9 << 20}},
				500: {"std": {rate: 60000, p90: 9000, p99: 12000, cpu: 10, rss: 20 << 20}, "epoll": {rate: 90000, p90: 6000, p99: 8000, cpu: 6, rss: 12 << 20}, "pool": {rate: 80000, p90: 7000, p99: 9000, cpu: 6.5, rss: 14 << 20}},
			},
			"sleep:1ms": {
				1:   {"std": {rate: 900, p90: 1100, p99: 1200, cpu: 40, rss: 10 << 20}, "epoll": {rate: 910, p90: 1090, p99: 1250, cpu: 30, rss: 8 << 20}, "pool": {rate: 850, p90: 1200, p99: 1400, cpu: 45, rss: 9 << 20}},
				500: {"std": {rate: 50000, p90: 11000, p99: 14000, cpu: 15, rss: 30 << 20}, "epoll": {rate: 1000, p90: 500000, p99: 520000, cpu: 40, rss: 12 << 20}, "pool": {rate: 52000, p90: 10000, p99: 13000, cpu: 14, rss: 16 << 20}},
			},
		})
}

func TestWorksMarkdownAndCSV(t *testing.T) {
	res := twoWorks()
	var md bytes.Buffer
	if err := WriteMarkdown(&md, res, "charts"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### Work none", "### Work sleep:1ms", "### TCP, 500 connections, 64 B, depth 1, work sleep:1ms", "p90 µs",
		"charts/work_msgs_c500_64B_d1.svg", "charts/work_p99_c500_64B_d1.svg", "charts/msgs_by_conns_64B_d1_sleep-1ms.svg"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, res); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	work, p90 := slices.Index(rows[0], "work"), slices.Index(rows[0], "p90_us")
	if len(rows) != 13 || work < 0 || p90 < 0 || rows[12][work] != "sleep:1ms" || rows[12][p90] != "10000" {
		t.Fatalf("csv rows %d, last %v; want 12 rows, the last pool on sleep:1ms with p90 10000", len(rows)-1, rows[len(rows)-1])
	}
	if t.Failed() {
		t.Log(md.String())
	}
}

func TestWorkCharts(t *testing.T) {
	dir := t.TempDir()
	res := twoWorks()
	if _, err := WriteCharts(dir, res); err != nil {
		t.Fatal(err)
	}
	names := ChartNames(res)
	for _, want := range []string{"work_msgs_c1_64B_d1", "work_p99_c1_64B_d1", "work_msgs_c500_64B_d1", "work_p99_c500_64B_d1"} {
		if !slices.Contains(names, want) {
			t.Errorf("no chart %s in %v", want, names)
			continue
		}
		st, err := os.Stat(filepath.Join(dir, want+".png"))
		if err != nil || st.Size() < 500 {
			t.Errorf("chart %s.png missing or empty: %v", want, err)
		}
	}
	// One work draws no work chart: there is nothing to cross.
	one := workResults([]string{"none"}, []int{1}, []string{"std"}, map[string]map[int]map[string]fig{"none": {1: {"std": {rate: 1, p99: 1}}}})
	for _, n := range ChartNames(one) {
		if strings.HasPrefix(n, "work_") {
			t.Errorf("one work drew %s", n)
		}
	}
}

func TestWorkAxis(t *testing.T) {
	xs, ticks, err := workAxis([]string{"none", "cpu:20us", "sleep:1ms", "sleep:5ms@1%", "sleep:20us"})
	if err != nil {
		t.Fatal(err)
	}
	// none sits a decade left of the least work; equal means share a
	// tick.
	if xs["none"] != 2 || xs["cpu:20us"] != 20 || xs["sleep:5ms@1%"] != 50 || xs["sleep:1ms"] != 1000 {
		t.Fatalf("positions %v", xs)
	}
	// Every other label one line lower, so that neighbours do not
	// overlap.
	if len(ticks) != 4 || ticks[1].Label != "\ncpu:20us\nsleep:20us" || ticks[0].Label != "none" || ticks[2].Label != "sleep:5ms@1%" {
		t.Fatalf("ticks %+v", ticks)
	}
}
