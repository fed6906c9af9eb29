package scale

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/server"
)

// Server is one server process's share of the scale phase.
type Server struct {
	// PID is the process id.
	PID int `json:"pid"`
	// Conns is the number of connections it held with all of them open:
	// its open sockets then, less those it had before any connection
	// opened (its listener).
	Conns int `json:"conns"`
	// RSSBefore, RSS, HWM and Threads are as in Result, for this
	// process alone.
	RSSBefore int64 `json:"rss_before_bytes"`
	RSS       int64 `json:"rss_bytes"`
	HWM       int64 `json:"hwm_bytes"`
	Threads   int   `json:"threads"`
	// CPUUtil is its CPU seconds per second during the traffic.
	CPUUtil float64 `json:"cpu_util"`
}

// newServer builds a process's figures from its samples before any
// connection, as the traffic's measurement began and as it ended.
func newServer(pid int, before, during, after proc.Sample, conns int) Server {
	return Server{PID: pid, Conns: conns, RSSBefore: before.RSS, RSS: after.RSS, HWM: after.HWM, Threads: after.Threads,
		CPUUtil: after.Sub(during).CPUUtil()}
}

// sumServers fills the server totals of r from r.Servers and the
// traffic's message rate.
func (r *Result) sumServers() {
	r.RSSBefore, r.RSS, r.HWM, r.Threads, r.CPUUtil = 0, 0, 0, 0, 0
	for _, s := range r.Servers {
		r.RSSBefore += s.RSSBefore
		r.RSS += s.RSS
		r.HWM += s.HWM
		r.Threads += s.Threads
		r.CPUUtil += s.CPUUtil
	}
	r.BytesPerConn = float64(r.RSS-r.RSSBefore) / float64(r.Conns)
	r.CPUUsPerMsg = 0
	if r.Traffic != nil && r.Traffic.MsgsPerSec > 0 {
		r.CPUUsPerMsg = r.CPUUtil / r.Traffic.MsgsPerSec * 1e6
	}
}

// checkConns says what is wrong when the servers did not hold every
// connection at once, and returns "" when they did.
func (r *Result) checkConns() string {
	held := 0
	for _, s := range r.Servers {
		held += s.Conns
	}
	if held == r.Conns {
		return ""
	}
	return fmt.Sprintf("the servers held %d connections with all open, want %d", held, r.Conns)
}

// countSockets counts the sockets pid has open, from the links in
// /proc/PID/fd (proc(5): a socket reads "socket:[inode]").
func countSockets(pid int) (int, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue // closed since the directory was read
		}
		if err != nil {
			return 0, err
		}
		if strings.HasPrefix(link, "socket:") {
			n++
		}
	}
	return n, nil
}

// startServers starts procs echo-tcp processes on one port. The first
// binds 127.0.0.1:0 and the others the port it reports; all set
// SO_REUSEPORT before binding, which is what lets them share it
// (socket(7): every socket of the group must set it, under one effective
// uid), and the kernel then spreads incoming connections over the group
// by a hash of the connection's addresses and ports.
func startServers(cfg *Config, procs int) ([]*server.Process, error) {
	var servers []*server.Process
	addr := "127.0.0.1:0"
	for i := range procs {
		// --balance reuseport as well: gnet takes SO_REUSEPORT only in
		// its listener-per-loop mode, and the other engines accept it.
		args := append([]string{"--addr", addr, "--reuseport", "--balance", "reuseport", "--engine", cfg.Engine, "--loops", strconv.Itoa(max(len(cfg.ServerCPUs), 1))}, cfg.Args...)
		log := cfg.logPath(fmt.Sprintf("server-scale-%s-%d.log", cfg.Engine, i+1))
		s, err := server.Start(server.Command{Engine: cfg.Engine, Bin: filepath.Join(cfg.BinDir, "echo-tcp"), Args: args, CPUs: cfg.ServerCPUs, LogPath: log})
		if err != nil {
			_, _ = stopServers(context.Background(), servers)
			return nil, fmt.Errorf("server %d: %w", i+1, err)
		}
		servers = append(servers, s)
		addr = s.Addr()
	}
	return servers, nil
}

// stopServers stops every server and returns the lines they printed as
// they stopped, each prefixed with its number, and their errors, each
// naming its process.
func stopServers(ctx context.Context, servers []*server.Process) ([]string, error) {
	exits := make([][]string, len(servers))
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			var err error
			exits[i], err = s.Stop(ctx, server.StopTimeout)
			if err != nil {
				errs[i] = fmt.Errorf("server %d (pid %d): %w", i+1, s.PID(), err)
			}
		})
	}
	wg.Wait()
	var lines []string
	for i, exit := range exits {
		for _, l := range exit {
			lines = append(lines, fmt.Sprintf("server %d: %s", i+1, l))
		}
	}
	return lines, errors.Join(errs...)
}

// exitedServers names the servers that are no longer running, or returns
// nil when all are.
func exitedServers(servers []*server.Process) error {
	var errs []error
	for i, s := range servers {
		if !s.Alive() {
			errs = append(errs, fmt.Errorf("server %d (pid %d) exited: %v", i+1, s.PID(), s.Err()))
		}
	}
	return errors.Join(errs...)
}

// sampleServers reads every server's counters, naming the process that
// could not be read.
func sampleServers(servers []*server.Process) ([]proc.Sample, error) {
	out := make([]proc.Sample, len(servers))
	for i, s := range servers {
		var err error
		if out[i], err = proc.Read(s.PID()); err != nil {
			return nil, fmt.Errorf("server %d (pid %d): %w", i+1, s.PID(), err)
		}
	}
	return out, nil
}

// countServerSockets counts every server's open sockets, naming the
// process that could not be read.
func countServerSockets(servers []*server.Process) ([]int, error) {
	out := make([]int, len(servers))
	for i, s := range servers {
		var err error
		if out[i], err = countSockets(s.PID()); err != nil {
			return nil, fmt.Errorf("server %d (pid %d): %w", i+1, s.PID(), err)
		}
	}
	return out, nil
}
