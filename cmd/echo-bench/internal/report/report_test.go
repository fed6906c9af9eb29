package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/matrix"
)

// sample builds results for three engines on two cells: std does 100k
// msgs/s at 10 µs per message, epoll 150k at 6, cref 200k at 5.
func sample() *matrix.Results {
	cells := []matrix.Cell{{Network: "tcp", Conns: 1, Size: 64, Depth: 1}, {Network: "tcp", Conns: 50, Size: 64, Depth: 1}}
	res := &matrix.Results{Meta: matrix.Meta{Baseline: "std", Reference: "cref", Cells: cells,
		EngineList: []string{"std", "epoll", "cref"}, Repeats: 3, Duration: 2, Warmup: 0.5, Command: "echo-bench matrix"}}
	rate := map[string]float64{"std": 100000, "epoll": 150000, "cref": 200000}
	cpu := map[string]float64{"std": 10, "epoll": 6, "cref": 5}
	for _, c := range cells {
		for _, e := range res.Meta.EngineList {
			for r := range 3 {
				res.Runs = append(res.Runs, matrix.RunResult{Cell: c, Engine: e, Repeat: r,
					Client: &bench.Result{MsgsPerSec: rate[e] * (0.9 + 0.1*float64(r)), Latency: bench.Latency{P99: 100}},
					Server: matrix.ServerMetrics{CPUUsPerMsg: cpu[e], RSS: 8 << 20, Threads: 2}})
			}
		}
	}
	res.Summaries = matrix.Summarize(cells, res.Meta.EngineList, res.Runs)
	res.Idle = []matrix.IdleResult{{Engine: "std", Conns: 1000, RSSAfter: 10 << 20, BytesPerConn: 4000}, {Engine: "cref", Conns: 1000, BytesPerConn: 500}}
	return res
}

func TestCSVRatios(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 {
		t.Fatalf("%d rows, want header + 6", len(rows))
	}
	col := func(row []string, name string) string {
		for i, h := range rows[0] {
			if h == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	// epoll's median is 150k: 1.5x std, 0.75x cref; its CPU 1.2x cref.
	epoll := rows[2]
	if col(epoll, "engine") != "epoll" || col(epoll, "vs_baseline") != "1.5" || col(epoll, "vs_reference") != "0.75" || col(epoll, "server_vs_reference") != "1.2" {
		t.Fatalf("epoll row wrong: %v", epoll)
	}
}

func TestMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, sample(), "charts"); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{"# rawnet bench report", "150,000 (0.75×)", "| epoll | 150,000 |", "1.50×", "bytes/conn", "| std | 1000 |", "8.00×", "charts/server_cpu_per_msg.svg", "Command: `echo-bench matrix`"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, sample()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var back matrix.Results
	if err := json.Unmarshal(b, &back); err != nil || len(back.Runs) != 18 || back.Meta.Reference != "cref" {
		t.Fatalf("results.json does not round-trip: %v, %d runs", err, len(back.Runs))
	}
	for _, name := range append(ChartNames(sample()), "") {
		if name == "" {
			continue
		}
		for _, ext := range []string{".svg", ".png"} {
			st, err := os.Stat(filepath.Join(dir, ChartsDir, name+ext))
			if err != nil || st.Size() < 500 {
				t.Fatalf("chart %s%s missing or empty: %v", name, ext, err)
			}
		}
	}
	if len(ChartNames(sample())) != 4 {
		t.Fatalf("charts %v, want msgs and p99 by conns, cpu per msg, idle memory", ChartNames(sample()))
	}
}
