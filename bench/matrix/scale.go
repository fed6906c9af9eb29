package matrix

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/bench/proc"
)

// ScaleConfig describes the scale phase: one server holding many
// connections at once, most of them idle, the rest ping-ponging at a low
// rate, and what that costs it in memory.
type ScaleConfig struct {
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
	// ServerCPUs and ClientCPUs pin the two sides.
	ServerCPUs, ClientCPUs []int
	// LogDir receives the server's stderr.
	LogDir string
	// Log, when set, is told what the phase is doing.
	Log func(format string, args ...any)
}

// DefaultScale is what `make scale` runs: 100,000 connections, half of
// them idle, half sending one 64-byte message per second.
func DefaultScale() ScaleConfig {
	return ScaleConfig{
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

// ScaleResult is what the scale phase measured.
type ScaleResult struct {
	Engine string  `json:"engine"`
	Conns  int     `json:"conns"`
	Active int     `json:"active"`
	Rate   float64 `json:"rate"`
	// NoFile is the open file limit both processes ran with.
	NoFile uint64 `json:"nofile"`
	// Idle and Traffic are the load generator's results for the idle
	// connections (one echo each) and the active ones.
	Idle    *bench.Result `json:"idle,omitempty"`
	Traffic *bench.Result `json:"traffic,omitempty"`
	// RSSBefore is the server's RSS before any connection opened; RSS
	// is its RSS with every connection open, at the end of the traffic,
	// and HWM its peak.
	RSSBefore int64 `json:"rss_before_bytes"`
	RSS       int64 `json:"rss_bytes"`
	HWM       int64 `json:"hwm_bytes"`
	// BytesPerConn is (RSS - RSSBefore) / Conns.
	BytesPerConn float64 `json:"bytes_per_conn"`
	// CPUUtil is server CPU seconds per second during the traffic;
	// CPUUsPerMsg per active message.
	CPUUtil     float64 `json:"cpu_util"`
	CPUUsPerMsg float64 `json:"cpu_us_per_msg"`
	Threads     int     `json:"threads"`
	// Exit is what the server printed as it stopped.
	Exit []string `json:"exit,omitempty"`
	// Error says what went wrong; empty when the phase passed.
	Error string `json:"error,omitempty"`
}

// Scale runs the scale phase: it raises the open file limit (the server
// inherits it), starts the server, opens Conns-Active idle connections
// and then Active connections that send at Rate, each group from its own
// range of 127.0.0.x source addresses so that neither runs out of
// ephemeral ports, and samples the server while all are open.
func Scale(ctx context.Context, cfg ScaleConfig) (*ScaleResult, error) {
	if cfg.Active < 0 {
		cfg.Active = cfg.Conns / 2
	}
	if cfg.Rate < 0 {
		cfg.Rate = float64(cfg.Active)
	}
	if cfg.Conns <= 0 || cfg.Active < 0 || cfg.Active > cfg.Conns || cfg.Rate < 0 || cfg.Size <= 0 || cfg.Duration <= 0 {
		return nil, errors.New("matrix: scale wants conns > 0, 0 <= active <= conns, rate >= 0, size > 0 and a duration")
	}
	logf := cfg.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if len(cfg.ClientCPUs) > 0 {
		if err := proc.PinSelf(cfg.ClientCPUs); err != nil {
			return nil, err
		}
	}
	// Both ends of every connection live on this machine, in two
	// processes: the client needs one descriptor per connection and so
	// does the server, which inherits the limit raised here. Raising the
	// hard limit takes CAP_SYS_RESOURCE (setrlimit(2)), which root in a
	// container may lack.
	want := uint64(cfg.Conns) + scaleSpareFDs
	got, err := proc.RaiseNoFile(want)
	if err != nil {
		return nil, err
	}
	if got < want {
		return nil, fmt.Errorf("matrix: open file limit is %d and cannot be raised (setrlimit needs CAP_SYS_RESOURCE), so at most %d connections fit: lower --conns",
			got, max(int(got)-scaleSpareFDs, 0))
	}
	logPath := os.DevNull
	if cfg.LogDir != "" {
		if err := os.MkdirAll(cfg.LogDir, 0o755); err != nil {
			return nil, err
		}
		logPath = filepath.Join(cfg.LogDir, "server-scale-"+cfg.Engine+".log")
	}
	args := append([]string{"--addr", "127.0.0.1:0", "--engine", cfg.Engine, "--loops", fmt.Sprint(max(len(cfg.ServerCPUs), 1))}, cfg.Args...)
	srv, err := startServer(cfg.Engine, "tcp", filepath.Join(cfg.BinDir, "echo-tcp"), args, nil, cfg.ServerCPUs, logPath)
	if err != nil {
		return nil, err
	}
	out := &ScaleResult{Engine: cfg.Engine, Conns: cfg.Conns, Active: cfg.Active, Rate: cfg.Rate, NoFile: got}
	defer func() {
		exit, err := srv.stop(context.WithoutCancel(ctx), stopTimeout)
		out.Exit = exit
		if err != nil && out.Error == "" {
			out.Error = err.Error()
		}
	}()
	before, err := proc.Read(srv.pid())
	if err != nil {
		return out, err
	}
	out.RSSBefore = before.RSS
	idle := cfg.Conns - cfg.Active
	workers := max(len(cfg.ClientCPUs), 1)

	// The idle connections open first, echo once each and are held
	// until the traffic is over.
	held := make(chan struct{})
	release := make(chan struct{})
	idleDone := make(chan struct{})
	var idleRes *bench.Result
	var idleErr error
	if idle == 0 {
		close(idleDone)
	} else {
		logf("opening %d idle connections", idle)
		go func() {
			defer close(idleDone)
			idleRes, idleErr = bench.Run(ctx, bench.Config{
				Addr: srv.addr, Conns: idle, Count: 1, Sizes: bench.Sizes{Values: []int{cfg.Size}},
				Workers: workers, ConnectRate: cfg.ConnectRate, Timeout: 30 * time.Second,
				Sources: loopbackSources(1, idle),
				Hold: func(ctx context.Context) error {
					close(held)
					select {
					case <-release:
					case <-ctx.Done():
					}
					return nil
				},
			})
		}()
		select {
		case <-held:
		case <-idleDone:
			if idleErr == nil {
				idleErr = errors.New("idle connections closed before the traffic began")
			}
			out.Idle = idleRes
			out.Error = fmt.Sprintf("idle connections: %v", idleErr)
			return out, nil
		}
	}
	var during, after proc.Sample
	var sampleErr error
	if cfg.Active > 0 {
		logf("opening %d active connections, %.0f messages/s in all", cfg.Active, cfg.Rate)
		res, err := bench.Run(ctx, bench.Config{
			Addr: srv.addr, Conns: cfg.Active, Rate: cfg.Rate, Sizes: bench.Sizes{Values: []int{cfg.Size}},
			Duration: cfg.Duration, Warmup: cfg.Warmup, Workers: workers, ConnectRate: cfg.ConnectRate,
			Sources: loopbackSources(2, cfg.Active),
			Window: func(end bool) {
				s, err := proc.Read(srv.pid())
				if err != nil && sampleErr == nil {
					sampleErr = err
				}
				if end {
					after = s
				} else {
					during = s
				}
			},
		})
		out.Traffic = res
		if err != nil {
			out.Error = fmt.Sprintf("active connections: %v", err)
		}
	} else {
		during, sampleErr = proc.Read(srv.pid())
		after = during
	}
	close(release)
	<-idleDone
	out.Idle = idleRes
	if idleErr != nil && out.Error == "" {
		out.Error = fmt.Sprintf("idle connections: %v", idleErr)
	}
	if sampleErr != nil {
		if out.Error == "" {
			out.Error = fmt.Sprintf("reading server counters: %v", sampleErr)
		}
		return out, nil
	}
	out.RSS, out.HWM, out.Threads = after.RSS, after.HWM, after.Threads
	out.BytesPerConn = float64(after.RSS-before.RSS) / float64(cfg.Conns)
	if out.Traffic != nil {
		m := serverMetrics(during, after, out.Traffic.MsgsPerSec)
		out.CPUUtil, out.CPUUsPerMsg = m.CPUUtil, m.CPUUsPerMsg
	}
	return out, nil
}

// scaleSpareFDs is what each process needs besides its connections:
// epoll, eventfds, listeners, pipes, /proc files.
const scaleSpareFDs = 256

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
