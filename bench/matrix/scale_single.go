package matrix

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/bench/proc"
)

// scaleSingle runs the scale phase with one server and the client in
// this process: it starts the server, opens Conns-Active idle connections
// and then Active connections that send at Rate, each group from its own
// range of 127.0.x.y source addresses so that neither runs out of
// ephemeral ports, and samples the server while all are open.
func scaleSingle(ctx context.Context, cfg ScaleConfig, limit uint64) (*ScaleResult, error) {
	args := append([]string{"--addr", "127.0.0.1:0", "--engine", cfg.Engine, "--loops", fmt.Sprint(max(len(cfg.ServerCPUs), 1))}, cfg.Args...)
	srv, err := startServer(cfg.Engine, "tcp", filepath.Join(cfg.BinDir, "echo-tcp"), args, nil, cfg.ServerCPUs, cfg.logPath("server-scale-"+cfg.Engine+".log"))
	if err != nil {
		return nil, err
	}
	out := &ScaleResult{Engine: cfg.Engine, Conns: cfg.Conns, Active: cfg.Active, Rate: cfg.Rate, Procs: 1, NoFile: limit}
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
	socketsBefore, err := countSockets(srv.pid())
	if err != nil {
		return out, err
	}
	sh := shares(&cfg, 1, srv.addr)[0]

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
			during, readErr = proc.Read(srv.pid())
		} else {
			after, readErr = proc.Read(srv.pid())
			sockets, countErr = countSockets(srv.pid())
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
	out.Servers = []ScaleServer{newScaleServer(srv.pid(), before, during, after, sockets-socketsBefore)}
	out.sumServers()
	if out.Error == "" {
		out.Error = out.checkConns()
	}
	return out, nil
}
