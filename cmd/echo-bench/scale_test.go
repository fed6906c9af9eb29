package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/scale"
)

func TestPrintScale(t *testing.T) {
	tests := []struct {
		name string
		res  scale.Result
		want []string
		not  []string
	}{
		{
			name: "one process",
			res: scale.Result{Engine: "epoll", Conns: 19000, Active: 9500, Rate: 9500, Procs: 1, NoFile: 20000,
				RSS: 16 << 20, BytesPerConn: 600, Servers: []scale.Server{{Conns: 19000}}},
			want: []string{"epoll: 19,000 connections (9,500 idle, 9,500 active", "server RSS      16.0 MiB with all open", "errors          none"},
			not:  []string{"SO_REUSEPORT", "server 1 "},
		},
		{
			name: "several processes",
			res: scale.Result{Engine: "epoll", Conns: 100000, Active: 50000, Rate: 50000, Procs: 2, NoFile: 20000,
				RSS: 60 << 20, BytesPerConn: 312,
				Traffic: &bench.Result{MsgsPerSec: 50000, Latency: bench.Latency{P99: 2000}, Seconds: 20,
					Client: bench.ClientCPU{Cores: 1, Utilization: 0.6, WaitSec: 90, Waiting: 4.5, Bound: true}},
				Clients: []scale.ClientResult{
					{Traffic: &bench.Result{Latency: bench.Latency{P99: 1500}}},
					{Traffic: &bench.Result{Latency: bench.Latency{P99: 2500}}},
				},
				Servers: []scale.Server{{PID: 7, Conns: 50100, RSS: 30 << 20}, {PID: 8, Conns: 49900, RSS: 30 << 20}},
				Error:   "client 2 (pid 9): idle connections: lost"},
			want: []string{"100,000 connections over 2 server processes (SO_REUSEPORT), RSS total 60.0 MiB, 312 B/conn",
				"server 1        50,100 connections, RSS 30.0 MiB", "server 2        49,900 connections", "(pid 8)",
				"60.0 MiB in all", "p99 2000.0 p99.9 0.0 max 0.0 (merged over 2 client processes)",
				"per process     p99 from 1500.0 to 2500.0 µs", "client CPU      60% of 1 core(s), 4.5 worker threads waiting for a CPU on average; CLIENT-BOUND",
				"FAILED          client 2 (pid 9)"},
			not: []string{"worst"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			printScale(&b, &tt.res)
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("summary lacks %q:\n%s", w, b.String())
				}
			}
			for _, n := range tt.not {
				if strings.Contains(b.String(), n) {
					t.Errorf("summary has %q:\n%s", n, b.String())
				}
			}
		})
	}
}

func TestCommas(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{n: 0, want: "0"}, {n: 999, want: "999"}, {n: 1000, want: "1,000"},
		{n: 100000, want: "100,000"}, {n: 1234567, want: "1,234,567"}, {n: -20000, want: "-20,000"},
	}
	for _, tt := range tests {
		if got := commas(tt.n); got != tt.want {
			t.Errorf("commas(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestScaleClientArgs(t *testing.T) {
	// runScale recognises the client process by what follows "scale".
	if !slices.Equal(scale.ClientArgs, []string{"scale", "client"}) {
		t.Fatalf("ClientArgs = %q: runScale answers [scale client]", scale.ClientArgs)
	}
}
