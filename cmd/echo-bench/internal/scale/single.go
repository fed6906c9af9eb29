package scale

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/server"
)

// runSingle runs the scale phase with one server and the client in
// this process: it starts the server, opens Conns-Active idle connections
// and then Active connections that send at Rate, each group from its own
// range of 127.0.x.y source addresses so that neither runs out of
// ephemeral ports, and samples the server while all are open.
func runSingle(ctx context.Context, cfg Config, limit uint64) (*Result, error) {
	args := append([]string{"--addr", "127.0.0.1:0", "--engine", cfg.Engine, "--loops", fmt.Sprint(max(len(cfg.ServerCPUs), 1))}, cfg.Args...)
	srv, err := server.Start(server.Command{Engine: cfg.Engine, Bin: filepath.Join(cfg.BinDir, "echo-tcp"), Args: args, CPUs: cfg.ServerCPUs, LogPath: cfg.logPath("server-scale-" + cfg.Engine + ".log")})
	if err != nil {
		return nil, err
	}
	out := &Result{Engine: cfg.Engine, Conns: cfg.Conns, Active: cfg.Active, Rate: cfg.Rate, Procs: 1, NoFile: limit}
	defer func() {
		exit, err := srv.Stop(context.WithoutCancel(ctx), server.StopTimeout)
		out.Exit = exit
		if err != nil && out.Error == "" {
			out.Error = err.Error()
		}
	}()
	before, err := proc.Read(srv.PID())
	if err != nil {
		return out, err
	}
	socketsBefore, err := countSockets(srv.PID())
	if err != nil {
		return out, err
	}
	sh := shares(&cfg, 1, srv.Addr())[0]

	// The idle connections open first, echo once each and are held
	// until the traffic is over.
	if sh.Idle > 0 {
		cfg.Log("opening %d idle connections", sh.Idle)
	}
	idle := startIdle(ctx, &sh)
	if err := idle.wait(); err != nil {
		out.Idle = idle.res
		out.Error = err.Error()
		return out, nil
	}
	var during, after proc.Sample
	var sockets int
	var sampleErr error
	sample := func(end bool) {
		var readErr, countErr error
		if !end {
			during, readErr = proc.Read(srv.PID())
		} else {
			after, readErr = proc.Read(srv.PID())
			sockets, countErr = countSockets(srv.PID())
		}
		sampleErr = errors.Join(sampleErr, readErr, countErr)
	}
	if sh.Active > 0 {
		cfg.Log("opening %d active connections, %.0f messages/s in all", sh.Active, sh.Rate)
		res, err := bench.Run(ctx, sh.activeConfig(sample))
		out.Traffic = res
		if err != nil {
			out.Error = fmt.Sprintf("active connections: %v", err)
		}
	} else {
		sample(false)
		sample(true)
	}
	idle.stop()
	out.Idle = idle.res
	if idle.err != nil && out.Error == "" {
		out.Error = fmt.Sprintf("idle connections: %v", idle.err)
	}
	if sampleErr != nil {
		if out.Error == "" {
			out.Error = fmt.Sprintf("reading server counters: %v", sampleErr)
		}
		return out, nil
	}
	out.Servers = []Server{newServer(srv.PID(), before, during, after, sockets-socketsBefore)}
	out.sumServers()
	if out.Error == "" {
		out.Error = out.checkConns()
	}
	return out, nil
}
