package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/bench/matrix"
)

const scaleUsage = `echo-bench scale: hold many connections on one server and measure its memory.

It raises the open file limit (both ends of every connection live on this
machine: raising the hard limit needs root with CAP_SYS_RESOURCE), starts bin/echo-tcp --engine ENGINE pinned to --server-cpus,
opens --conns - --active idle connections that echo once each and stay open,
then --active connections that send --rate messages per second in all (open
loop), each group from its own 127.0.0.x source addresses. While all are open
it reads the server's RSS, peak RSS, threads and CPU. Any connect failure,
lost or corrupted echo fails the phase with exit status 1.

Writes scale-ENGINE.json into --out and prints a summary.

Examples:
  echo-bench scale                                   # 100,000 connections on epoll
  echo-bench scale --engines epoll,gnet --conns 19000 --active 9000 --rate 9000

Flags:
`

// runScale is echo-bench scale.
func runScale(ctx context.Context, args []string) error {
	def := matrix.DefaultScale()
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
	fs.StringVar(&serverCPUs, "server-cpus", "", "CPUs for the server (default: the last half of the CPUs this process may use)")
	fs.StringVar(&clientCPUs, "client-cpus", "", "CPUs for the client (default: the first half)")
	fs.StringVar(&out, "out", "", "output folder (default out/scale-<timestamp>)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see echo-bench scale --help)", fs.Arg(0))
	}
	var m matrix.Config
	if err := pickCPUs(&m, serverCPUs, clientCPUs); err != nil {
		return err
	}
	cfg.ServerCPUs, cfg.ClientCPUs = m.ServerCPUs, m.ClientCPUs
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
		res, err := matrix.Scale(ctx, cfg)
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
		printScale(res)
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

// printScale prints one engine's scale figures.
func printScale(r *matrix.ScaleResult) {
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	fmt.Printf("\n%s: %d connections (%d idle, %d active at %.0f msgs/s in all), open file limit %d\n",
		r.Engine, r.Conns, r.Conns-r.Active, r.Active, r.Rate, r.NoFile)
	fmt.Printf("  server RSS      %.1f MiB with all open (%.1f MiB before, peak %.1f MiB): %.0f bytes per connection\n",
		mib(r.RSS), mib(r.RSSBefore), mib(r.HWM), r.BytesPerConn)
	fmt.Printf("  server CPU      %.0f%% of a core, %.2f µs per message; %d threads\n", 100*r.CPUUtil, r.CPUUsPerMsg, r.Threads)
	if t := r.Traffic; t != nil {
		fmt.Printf("  traffic         %.0f msgs/s, latency µs p50 %.1f p99 %.1f p99.9 %.1f max %.1f\n",
			t.MsgsPerSec, t.Latency.P50, t.Latency.P99, t.Latency.P999, t.Latency.Max)
	}
	if r.Error != "" {
		fmt.Printf("  FAILED          %s\n", r.Error)
	} else {
		fmt.Printf("  errors          none\n")
	}
}
