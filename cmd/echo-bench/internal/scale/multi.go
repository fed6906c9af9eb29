package scale

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/server"
)

// runMulti runs the scale phase over procs server processes sharing
// one port with SO_REUSEPORT and procs client processes, each holding its
// share of the connections under its own open file limit. The clients
// are this executable run with ClientArgs; the line protocol of
// scale_client.go keeps them in step so that every connection is open
// while the servers are sampled.
func runMulti(ctx context.Context, cfg Config, procs int, limit uint64) (*Result, error) {
	out := &Result{Engine: cfg.Engine, Conns: cfg.Conns, Active: cfg.Active, Rate: cfg.Rate, Procs: procs, NoFile: limit}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("scale: the client processes run this executable: %w", err)
	}
	cfg.Log("%d connections over %d server processes sharing one port (SO_REUSEPORT) and %d client processes: the open file limit of %d holds %d per process",
		cfg.Conns, procs, procs, limit, procCapacity(limit))
	servers, err := startServers(&cfg, procs)
	if err != nil {
		return nil, err
	}
	defer func() {
		exit, err := stopServers(context.WithoutCancel(ctx), servers)
		out.Exit = exit
		if err != nil && out.Error == "" {
			out.Error = err.Error()
		}
	}()
	before, err := sampleServers(servers)
	if err != nil {
		return out, err
	}
	socketsBefore, err := countServerSockets(servers)
	if err != nil {
		return out, err
	}
	shs := shares(&cfg, procs, servers[0].Addr())
	clients, err := startClients(exe, shs, cfg.ClientCPUs, &cfg)
	if err != nil {
		return out, err
	}
	defer clients.close()

	ctx, cancel := context.WithTimeoutCause(ctx, phaseTimeout(&cfg), errors.New("the scale phase ran out of time"))
	defer cancel()
	st := &steps{clients: clients, servers: servers, shares: shs}
	runErr := st.run(ctx, &cfg)
	for _, r := range clients.results {
		if r != nil {
			out.Clients = append(out.Clients, *r)
		}
	}
	cores := clientCores(&cfg)
	var idleErr, trafficErr error
	out.Idle, idleErr = mergeResults(out.Clients, func(r *ClientResult) *bench.Result { return r.Idle }, cores)
	out.Traffic, trafficErr = mergeResults(out.Clients, func(r *ClientResult) *bench.Result { return r.Traffic }, cores)
	runErr = errors.Join(runErr, idleErr, trafficErr)
	if runErr != nil {
		// A server that died shows first as its clients' lost echoes:
		// name it.
		out.Error = errors.Join(exitedServers(servers), runErr).Error()
		return out, nil
	}
	for i, s := range servers {
		out.Servers = append(out.Servers, newServer(s.PID(), before[i], st.during[i], st.after[i], st.sockets[i]-socketsBefore[i]))
	}
	out.sumServers()
	out.Error = out.checkConns()
	return out, nil
}

// clientCores is the number of CPUs the client processes share: the
// client CPUs they are pinned to, or all this process may use.
func clientCores(cfg *Config) int {
	if len(cfg.ClientCPUs) > 0 {
		return len(cfg.ClientCPUs)
	}
	if cpus, err := proc.Allowed(); err == nil && len(cpus) > 0 {
		return len(cpus)
	}
	return runtime.NumCPU()
}

// phaseTimeout bounds a whole phase, generously: connecting, the idle
// connections' echo, the traffic and its drain.
func phaseTimeout(cfg *Config) time.Duration {
	d := 2*time.Minute + idleTimeout + cfg.Warmup + cfg.Duration
	if cfg.ConnectRate > 0 {
		d += time.Duration(float64(cfg.Conns) / cfg.ConnectRate * float64(time.Second))
	}
	return d
}

// steps walks the client processes through the phase and samples
// the servers at its two points.
type steps struct {
	clients *clientGroup
	servers []*server.Process
	shares  []share
	// during and after are the servers' samples as the traffic's
	// measurement began and ended; sockets their open sockets at the
	// end.
	during, after []proc.Sample
	sockets       []int
}

// run takes every client through held, go, the measurement window and
// release, and collects their results.
func (st *steps) run(ctx context.Context, cfg *Config) error {
	var all, active []int
	for i, sh := range st.shares {
		all = append(all, i)
		if sh.Active > 0 {
			active = append(active, i)
		}
	}
	c := st.clients
	cfg.Log("opening %d idle connections", cfg.Conns-cfg.Active)
	if err := c.await(ctx, msgHeld, all); err != nil {
		return err
	}
	if cfg.Active > 0 {
		cfg.Log("opening %d active connections, %.0f messages/s in all", cfg.Active, cfg.Rate)
	}
	c.sendAll(msgGo, all)
	if len(active) == 0 {
		// No measurement window: sample once with everything open.
		if err := st.sample(false); err != nil {
			return err
		}
		if err := st.sample(true); err != nil {
			return err
		}
	} else {
		if err := st.window(ctx, msgWindowStart, false, active); err != nil {
			return err
		}
		if err := st.window(ctx, msgWindowEnd, true, active); err != nil {
			return err
		}
	}
	c.sendAll(msgRelease, all)
	return c.collect(ctx)
}

// window waits for every active client to write msg, samples the
// servers and lets the clients go on.
func (st *steps) window(ctx context.Context, msg string, end bool, active []int) error {
	if err := st.clients.await(ctx, msg, active); err != nil {
		return err
	}
	if err := st.sample(end); err != nil {
		return err
	}
	st.clients.sendAll(msgSampled, active)
	return nil
}

// sample reads the servers as the measurement begins or, with end, as
// it ends, and then counts their sockets too.
func (st *steps) sample(end bool) error {
	s, err := sampleServers(st.servers)
	if err != nil {
		return err
	}
	if !end {
		st.during = s
		return nil
	}
	st.after = s
	st.sockets, err = countServerSockets(st.servers)
	return err
}
