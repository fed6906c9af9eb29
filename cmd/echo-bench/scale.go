package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/scale"
)

const scaleUsage = `echo-bench scale: hold many connections on one port and measure the server's memory.

It raises the open file limit (both ends of every connection live on this
machine), starts bin/echo-tcp --engine ENGINE pinned to --server-cpus,
opens --conns - --active idle connections that echo once each and stay open,
then --active connections that send --rate messages per second in all (open
loop), each group from its own 127.0.x.y source addresses. While all are open
it reads the server's RSS, peak RSS, threads and CPU, and counts the
connections it holds. Any connect failure, lost or corrupted echo fails the
phase with exit status 1.

Each process may hold only as many descriptors as its open file limit, and
raising the hard limit needs CAP_SYS_RESOURCE (root in a container may lack
it). Past that, the connections are split over --procs server processes that
share the port with SO_REUSEPORT (the kernel spreads connections over them by
hash) and as many client processes; the figures are summed over the servers
and each server's share is listed. The client processes' latency histograms
are merged, so the percentiles are exact over every round trip, and their CPU
is put over the client CPUs they share: when they saturated them the traffic
line is flagged CLIENT-BOUND, and its latency says more about the client than
about the server.

Writes scale-ENGINE.json into --out and prints a summary.

Examples:
  echo-bench scale                                   # 100,000 connections on epoll
  echo-bench scale --conns 20000 --procs 2           # two servers on one port
  echo-bench scale --engines epoll,gnet --conns 19000 --active 9000 --rate 9000

Flags:
`

// runScale is echo-bench scale.
func runScale(ctx context.Context, args []string) error {
	if slices.Equal(args, scale.ClientArgs[1:]) {
		// Not in the help: a client process that Scale starts itself.
		return scale.Client(ctx, os.Stdin, os.Stdout)
	}
	def := scale.Default()
	fs := pflag.NewFlagSet("echo-bench scale", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, scaleUsage)
		fs.PrintDefaults()
	}
	cfg := def
	var serverCPUs, clientCPUs, out string
	engines := fs.StringSlice("engines", []string{def.Engine}, "engines to run, one after another")
	fs.StringVar(&cfg.BinDir, "bin", def.BinDir, "folder with echo-tcp")
	fs.IntVar(&cfg.Conns, "conns", def.Conns, "connections held open at once")
	fs.IntVar(&cfg.Active, "active", def.Active, "of which this many send messages, the rest stay idle (-1 = half)")
	fs.Float64Var(&cfg.Rate, "rate", def.Rate, "messages per second over all active connections (-1 = one per connection per second)")
	fs.IntVar(&cfg.Size, "size", def.Size, "message size in bytes")
	fs.DurationVar(&cfg.Duration, "duration", def.Duration, "measured time of the traffic")
	fs.DurationVar(&cfg.Warmup, "warmup", def.Warmup, "traffic before measuring")
	fs.Float64Var(&cfg.ConnectRate, "connect-rate", def.ConnectRate, "connections opened per second (0 = as fast as the server accepts)")
	fs.IntVar(&cfg.Procs, "procs", def.Procs, "server processes sharing the port with SO_REUSEPORT, and client processes (0 = as few as fit: each process holds at most its open file limit of connections, which only CAP_SYS_RESOURCE can raise)")
	fs.StringVar(&serverCPUs, "server-cpus", "", "CPUs for the server (default: the last half of the CPUs this process may use)")
	fs.StringVar(&clientCPUs, "client-cpus", "", "CPUs for the client (default: the first half)")
	fs.StringVar(&out, "out", "", "output folder (default out/scale-<timestamp>)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see echo-bench scale --help)", fs.Arg(0))
	}
	var err error
	if cfg.ServerCPUs, cfg.ClientCPUs, err = pickCPUs(serverCPUs, clientCPUs); err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join("out", "scale-"+time.Now().Format("20060102-150405"))
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	cfg.LogDir = filepath.Join(out, "logs")
	cfg.Log = func(format string, args ...any) { fmt.Fprintf(os.Stderr, "scale: "+format+"\n", args...) }
	failed := 0
	for _, e := range *engines {
		cfg.Engine = e
		res, err := scale.Run(ctx, cfg)
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		path := filepath.Join(out, "scale-"+e+".json")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			return err
		}
		printScale(os.Stdout, res)
		fmt.Printf("results: %s\n", path)
		if res.Error != "" {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d scale runs failed", failed, len(*engines))
	}
	return nil
}
