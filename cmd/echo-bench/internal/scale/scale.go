// Package scale is echo-bench scale: it holds many connections on one
// server at once, most of them idle and the rest sending at a low rate,
// and measures what they cost the server in memory and CPU. Past the open
// file limit of one process it splits the connections over several
// server processes sharing the port with SO_REUSEPORT and as many client
// processes, which are echo-bench itself started with ClientArgs.
package scale

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
)

// Config describes the scale phase: a server holding many
// connections at once, most of them idle, the rest ping-ponging at a low
// rate, and what that costs it in memory.
type Config struct {
	// BinDir holds echo-tcp.
	BinDir string
	// Engine is the engine to run; Args are added to its command line.
	Engine string
	Args   []string
	// Conns is the number of connections held open at once; Active of
	// them send messages, the others stay idle after one echo each. A
	// negative Active means half of Conns.
	Conns, Active int
	// Rate is the total messages per second over the active connections,
	// sent open loop (latency counts from each message's due time). A
	// negative Rate means one message per second per active connection.
	Rate float64
	// Size is the message size.
	Size int
	// Duration and Warmup bound the active traffic's measurement.
	Duration, Warmup time.Duration
	// ConnectRate bounds the connections opened per second; 0 opens them
	// as fast as the server accepts.
	ConnectRate float64
	// Procs is the number of server processes, and of client processes,
	// the connections are split over. Every process holds its share
	// under its own open file limit, which only CAP_SYS_RESOURCE can
	// raise; the servers share one port with SO_REUSEPORT. 0 picks the
	// fewest that fit (autoProcs); 1 runs one server and the client in
	// this process.
	Procs int
	// ServerCPUs and ClientCPUs pin the two sides.
	ServerCPUs, ClientCPUs []int
	// LogDir receives the servers' and client processes' stderr.
	LogDir string
	// Log, when set, is told what the phase is doing.
	Log func(format string, args ...any)
}

// Default is what `make scale` runs: 100,000 connections, half of
// them idle, half sending one 64-byte message per second.
func Default() Config {
	return Config{
		BinDir:      "bin",
		Engine:      "epoll",
		Conns:       100_000,
		Active:      -1,
		Rate:        -1,
		Size:        64,
		Duration:    20 * time.Second,
		Warmup:      5 * time.Second,
		ConnectRate: 20_000,
	}
}

// Result is what the scale phase measured.
type Result struct {
	Engine string  `json:"engine"`
	Conns  int     `json:"conns"`
	Active int     `json:"active"`
	Rate   float64 `json:"rate"`
	// Procs is the number of server processes, which shared the port
	// with SO_REUSEPORT when more than one, and of client processes.
	Procs int `json:"procs"`
	// NoFile is the open file limit every process ran with.
	NoFile uint64 `json:"nofile"`
	// Idle and Traffic are the load generator's results for the idle
	// connections (one echo each) and the active ones; over several
	// client processes, their merge (mergeResults): percentiles exact
	// over every process's round trips, client CPU over the CPUs the
	// processes shared, flagged client-bound when they saturated them.
	Idle    *bench.Result `json:"idle,omitempty"`
	Traffic *bench.Result `json:"traffic,omitempty"`
	// Clients holds each client process's results when Procs > 1.
	Clients []ClientResult `json:"clients,omitempty"`
	// Servers holds each server process's figures; the server figures
	// below are their sums.
	Servers []Server `json:"servers"`
	// RSSBefore is the servers' RSS before any connection opened; RSS
	// is their RSS with every connection open, at the end of the
	// traffic, and HWM the sum of their peaks.
	RSSBefore int64 `json:"rss_before_bytes"`
	RSS       int64 `json:"rss_bytes"`
	HWM       int64 `json:"hwm_bytes"`
	// BytesPerConn is (RSS - RSSBefore) / Conns: what connections cost,
	// without each process's fixed baseline.
	BytesPerConn float64 `json:"bytes_per_conn"`
	// CPUUtil is server CPU seconds per second during the traffic;
	// CPUUsPerMsg per active message. Threads counts all servers'.
	CPUUtil     float64 `json:"cpu_util"`
	CPUUsPerMsg float64 `json:"cpu_us_per_msg"`
	Threads     int     `json:"threads"`
	// Exit is what the servers printed as they stopped, each line
	// prefixed with "server N: " when there were several.
	Exit []string `json:"exit,omitempty"`
	// Error says what went wrong; empty when the phase passed.
	Error string `json:"error,omitempty"`
}

// Run runs the scale phase: it raises the open file limit (servers and
// client processes inherit it), decides how many processes each side
// needs to stay under it, and runs the phase in one process per side
// (runSingle) or in several sharing the port (runMulti).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Active < 0 {
		cfg.Active = cfg.Conns / 2
	}
	if cfg.Rate < 0 {
		cfg.Rate = float64(cfg.Active)
	}
	if cfg.Conns <= 0 || cfg.Active < 0 || cfg.Active > cfg.Conns || cfg.Rate < 0 || cfg.Size <= 0 || cfg.Duration <= 0 || cfg.Procs < 0 {
		return nil, errors.New("scale: want conns > 0, 0 <= active <= conns, rate >= 0, size > 0, procs >= 0 and a duration")
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	if len(cfg.ClientCPUs) > 0 {
		if err := proc.PinSelf(cfg.ClientCPUs); err != nil {
			return nil, err
		}
	}
	// Both ends of every connection live on this machine: the client
	// needs one descriptor per connection and so does the server, which
	// inherits the limit raised here. Raising the hard limit takes
	// CAP_SYS_RESOURCE (setrlimit(2)), which root in a container may
	// lack; then the connections are split over several processes.
	limit, err := proc.RaiseNoFile(uint64(cfg.Conns) + spareFDs)
	if err != nil {
		return nil, err
	}
	procs := cfg.Procs
	if procs == 0 {
		procs = autoProcs(cfg.Conns, limit)
	}
	if err := checkProcs(cfg.Conns, procs, limit); err != nil {
		return nil, err
	}
	if cfg.LogDir != "" {
		if err := os.MkdirAll(cfg.LogDir, 0o755); err != nil {
			return nil, err
		}
	}
	if procs == 1 {
		return runSingle(ctx, cfg, limit)
	}
	return runMulti(ctx, cfg, procs, limit)
}

// logPath is where a process of the phase writes its stderr: name in
// LogDir, or nowhere without one.
func (cfg *Config) logPath(name string) string {
	if cfg.LogDir == "" {
		return os.DevNull
	}
	return filepath.Join(cfg.LogDir, name)
}

// loopbackSources returns enough addresses 127.0.block.x, from x = 1, for
// conns connections to one server, 20,000 per address: the default
// ephemeral port range holds about 28,000 ports per source address.
func loopbackSources(block byte, conns int) []netip.Addr {
	const perAddr = 20_000
	n := max((conns+perAddr-1)/perAddr, 1)
	out := make([]netip.Addr, 0, n)
	for i := range min(n, 254) {
		out = append(out, netip.AddrFrom4([4]byte{127, 0, block, byte(i + 1)}))
	}
	return out
}
