package matrix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/server"
	"github.com/rawnet/rawnet/internal/cpuset"
	"golang.org/x/sys/unix"
)

// run runs one step and measures the server around the client's
// measurement window.
func (m *runner) run(ctx context.Context, st Step) RunResult {
	out := RunResult{Cell: st.Cell, Engine: st.Engine, Repeat: st.Repeat, Counted: st.Count}
	s := m.servers[st.Cell.Network+"/"+st.Engine]
	if s == nil || !s.Alive() {
		out.Error = "server is not running"
		return out
	}
	var before, after proc.Sample
	var cBefore, cAfter proc.CounterSample
	var counters *proc.Counters
	var sampleErr error
	if st.Count {
		var err error
		switch counters, err = proc.OpenCounters(s.PID()); {
		case errors.Is(err, proc.ErrTooManyThreads):
			// The run goes ahead uncounted: its figures are left out of
			// the summary like every counting run's, so the cell shows
			// no syscall figure for this engine.
			out.NotCounted = err.Error()
			m.note("%s on %s: system calls not counted: %v", st.Engine, st.Cell, err)
		case err != nil:
			out.Error = fmt.Sprintf("counting system calls: %v", err)
			return out
		default:
			defer counters.Close()
		}
	}
	cfg := bench.Config{
		Network:  st.Cell.Network,
		Addr:     s.Addr(),
		Conns:    st.Cell.Conns,
		Sizes:    bench.Sizes{Values: []int{st.Cell.Size}},
		Depth:    st.Cell.Depth,
		Duration: m.cfg.Duration,
		Warmup:   m.cfg.Warmup,
		Workers:  max(len(m.cfg.ClientCPUs), 1),
		HoldCPU:  true,
		Window: func(end bool) {
			smp, err := proc.Read(s.PID())
			if err != nil && sampleErr == nil {
				sampleErr = err
			}
			var cs proc.CounterSample
			if counters != nil {
				if cs, err = counters.Read(); err != nil && sampleErr == nil {
					sampleErr = err
				}
			}
			if end {
				after, cAfter = smp, cs
			} else {
				before, cBefore = smp, cs
			}
		},
	}
	if len(m.cfg.ClientCPUs) == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if st.Cell.Network == "tcp" {
		// For UDP the timeout is when a datagram counts as lost.
		cfg.Timeout = m.cfg.DrainTimeout
	}
	res, err := bench.Run(ctx, cfg)
	out.Client = res
	if err != nil {
		out.Error = err.Error()
		if !s.Alive() {
			out.Error = fmt.Sprintf("server exited (%v): %v", s.Err(), err)
		}
		return out
	}
	if sampleErr != nil {
		out.Error = fmt.Sprintf("reading server counters: %v", sampleErr)
		return out
	}
	out.Server = serverMetrics(before, after, res.MsgsPerSec)
	if wall := after.At.Sub(before.At).Seconds(); counters != nil && wall > 0 && res.MsgsPerSec > 0 {
		// Rates over the samples' own interval, divided by the client's
		// rate, as serverMetrics does: on a busy machine a sample can be
		// taken tens of ms after the window opened, and dividing the
		// counts by every message of the window then undercounts.
		perMsg := func(n uint64) float64 { return float64(n) / wall / res.MsgsPerSec }
		out.Server.AllSyscallsPerMsg = perMsg(cAfter.Syscalls - cBefore.Syscalls)
		out.Server.SwitchesPerMsg = perMsg(cAfter.Switches - cBefore.Switches)
	}
	return out
}

// serverMetrics turns two samples taken around a measurement into rates
// per message. Rates (per second of the samples' own interval) are divided
// by the client's messages per second, so a sample taken a few ms late
// does not skew the figure.
func serverMetrics(before, after proc.Sample, msgsPerSec float64) ServerMetrics {
	d := after.Sub(before)
	sm := ServerMetrics{RSS: after.RSS, HWM: after.HWM, Threads: after.Threads}
	if d.Wall <= 0 {
		return sm
	}
	sm.CPUUtil = d.CPUUtil()
	if msgsPerSec > 0 {
		sm.CPUUsPerMsg = sm.CPUUtil / msgsPerSec * 1e6
		sm.SyscallsPerMsg = float64(d.Syscalls) / d.Wall.Seconds() / msgsPerSec
	}
	return sm
}

// idle opens IdleConns connections to s, echoes once on each, and reads
// the server's memory while they are open.
func (m *runner) idle(ctx context.Context, s *server.Process) IdleResult {
	if s == nil {
		return IdleResult{Conns: m.cfg.IdleConns, Error: "server is not running"}
	}
	out := IdleResult{Engine: s.Engine(), Conns: m.cfg.IdleConns, SettleSeconds: m.cfg.IdleSettle.Seconds()}
	before, err := proc.Read(s.PID())
	if err != nil {
		out.Error = err.Error()
		return out
	}
	var during proc.Sample
	cfg := bench.Config{
		Addr:    s.Addr(),
		Conns:   m.cfg.IdleConns,
		Count:   1,
		Workers: max(len(m.cfg.ClientCPUs), 1),
		Timeout: 10 * time.Second,
		Hold: func(ctx context.Context) error {
			if err := settle(ctx, m.cfg.IdleSettle); err != nil {
				return err
			}
			during, err = proc.Read(s.PID())
			return err
		},
	}
	if _, err := bench.Run(ctx, cfg); err != nil {
		out.Error = err.Error()
		return out
	}
	out.RSSBefore, out.RSSAfter, out.Threads = before.RSS, during.RSS, during.Threads
	out.BytesPerConn = float64(during.RSS-before.RSS) / float64(m.cfg.IdleConns)
	return out
}

// settle waits d, or until ctx is done.
func settle(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// meta describes this machine.
func meta(cfg Config, start time.Time) Meta {
	host, _ := os.Hostname()
	var uts unix.Utsname
	kernel := ""
	if unix.Uname(&uts) == nil {
		kernel = unix.ByteSliceToString(uts.Sysname[:]) + " " + unix.ByteSliceToString(uts.Release[:])
	}
	return Meta{
		Start:      start.UTC().Format(time.RFC3339),
		Host:       host,
		Kernel:     kernel,
		CPU:        cpuModel(),
		CPUs:       runtime.NumCPU(),
		GoVersion:  runtime.Version(),
		ServerCPUs: cpuset.Format(cfg.ServerCPUs),
		ClientCPUs: cpuset.Format(cfg.ClientCPUs),
		Duration:   cfg.Duration.Seconds(),
		Warmup:     cfg.Warmup.Seconds(),
		Repeats:    cfg.Repeats,
	}
}

// cpuModel reads the CPU model name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
