package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/internal/bytesize"
	"github.com/rawnet/rawnet/internal/cpuset"
)

const runUsage = `echo-bench: drive one echo server and verify every echo.

Usage:
  echo-bench [run] [flags]          load one server at --addr
  echo-bench matrix [flags]         compare every engine (see echo-bench matrix --help)
  echo-bench scale [flags]          hold many connections and read server memory (see echo-bench scale --help)
  echo-bench merge [flags] FILE...  merge --hdr-log files of runs on several hosts or processes into one result

Every message carries its connection id and sequence number and every echo is
checked byte for byte; a mismatch, or a TCP echo that never comes, fails the
run with exit status 1. UDP runs report loss, reordering, duplicates and jitter.

Closed loop (the default) keeps --depth messages in flight per connection:
--depth 1 is ping-pong latency, a larger depth measures throughput. Open loop
(--rate) sends at a fixed total rate and times every message from the moment
it was due, so a server that stalls cannot hide it (no coordinated omission).

The client reports its own CPU use, and the time its threads waited for a CPU,
and flags a result CLIENT-BOUND when it ran or waited to run on its cores 90%
of the time: then the server may be faster than the numbers say.
Pin client and server to different CPUs (--cpus here, taskset for the server).

--hdr-log FILE writes the latencies as a standard HdrHistogram interval log
(format 1.3: one histogram per --hdr-interval, in nanoseconds, tagged
--hdr-tag), which HdrHistogram's own tools read, and ends it with the run's
result. echo-bench merge combines such logs from several load generators into
one result whose percentiles are exact over every round trip. Started with the
same --start-at, load generators on several hosts open their connections, wait
for that time and measure the same window.

Examples:
  echo-bench --addr 127.0.0.1:9000 --conns 50 --depth 16 --duration 10s
  echo-bench --framing length --length-bytes 2 --size 64:9,1024:1 --rate 20000
  echo-bench --net udp --addr 127.0.0.1:9001 --conns 50 --json - | jq .msgs_per_sec
  echo-bench --addr 198.18.0.1:9000 --conns 100 --rate 50000 --start-at $(date -d '+10 sec' +%s) --hdr-log $(hostname).hlog

The summary goes to stdout, or to stderr when --json - or --csv - puts the
result on stdout: stdout then carries that format alone, ready for a pipe.

Flags:
`

// loadFlags are the flags of a single run.
type loadFlags struct {
	cfg         bench.Config
	framing     string
	lengthBytes int
	fixedSize   int
	maxFrame    bytesize.Size
	size        string
	sources     []string
	cpus        string
	jsonOut     string
	csvOut      string
	quiet       bool
	hdrLog      string
	hdrInterval time.Duration
	hdrTag      string
	startAt     string
}

// define registers the load flags on fs.
func (f *loadFlags) define(fs *pflag.FlagSet) {
	fs.StringVar(&f.cfg.Network, "net", "tcp", "tcp or udp")
	fs.StringVar(&f.cfg.Addr, "addr", "", "server host:port (default 127.0.0.1:9000 for tcp, 127.0.0.1:9001 for udp)")
	fs.StringVar(&f.framing, "framing", "raw", "framing the server speaks: raw, line, length or fixed")
	fs.IntVar(&f.lengthBytes, "length-bytes", 4, "length header size for --framing length: 1, 2, 4 or 8")
	fs.IntVar(&f.fixedSize, "fixed-size", 64, "frame size for --framing fixed (every message is this size)")
	f.maxFrame = bytesize.Size(frame.DefaultMax)
	fs.Var(&f.maxFrame, "max-frame", "the server's --max-frame; larger messages are refused before sending")
	fs.IntVarP(&f.cfg.Conns, "conns", "c", 1, "TCP connections or UDP sockets")
	fs.StringVarP(&f.size, "size", "s", "64", "message size in bytes, header and delimiter included: 64, 1KiB, a choice 64,1024, weighted 64:9,1024:1, or a range 64-1024")
	fs.IntVarP(&f.cfg.Depth, "depth", "d", 1, "messages in flight per connection in closed loop (1 = ping-pong)")
	fs.Float64VarP(&f.cfg.Rate, "rate", "r", 0, "open loop: total messages per second over all connections (0 = closed loop)")
	fs.DurationVarP(&f.cfg.Duration, "duration", "t", 10*time.Second, "measured time")
	fs.DurationVar(&f.cfg.Warmup, "warmup", time.Second, "traffic before measuring, discarded")
	fs.Float64Var(&f.cfg.ConnectRate, "connect-rate", 0, "connections opened per second (0 = as fast as the server accepts)")
	fs.IntVar(&f.cfg.Count, "count", 0, "send exactly this many messages per connection, then stop (replaces --duration)")
	fs.IntVar(&f.cfg.Workers, "workers", 0, "client threads, each driving its share of connections with epoll (default: one per CPU in --cpus, else GOMAXPROCS)")
	fs.StringVar(&f.cpus, "cpus", "", "pin the client to these CPUs, e.g. 0 or 0-1 (GOMAXPROCS follows)")
	fs.DurationVar(&f.cfg.Timeout, "timeout", 0, "TCP: wait this long for outstanding echoes at the end (default 5s); UDP: loss timeout (default 250ms)")
	fs.StringSliceVar(&f.sources, "sources", nil, "local addresses to spread connections over (default: 127.0.0.x as needed past 20,000 connections to loopback)")
	fs.BoolVar(&f.cfg.HoldCPU, "hold-cpu", true, "keep each worker's Go scheduler slot while it waits for events (cheaper per message; the server must be another process)")
	fs.StringVar(&f.jsonOut, "json", "", "write the result as JSON to this file (- for stdout, which then carries the JSON alone; the summary goes to stderr)")
	fs.StringVar(&f.csvOut, "csv", "", "write the result as CSV to this file (- for stdout, which then carries the CSV alone; the summary goes to stderr)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress line")
	fs.StringVar(&f.hdrLog, "hdr-log", "", "write the latencies to this file as an HdrHistogram interval log, ended by the result (for echo-bench merge and HdrHistogram's tools)")
	fs.DurationVar(&f.hdrInterval, "hdr-interval", time.Second, "length of each interval of --hdr-log, at least 10ms")
	fs.StringVar(&f.hdrTag, "hdr-tag", "", "tag of every interval of --hdr-log; no commas or spaces (default HOSTNAME-PID)")
	fs.StringVar(&f.startAt, "start-at", "", "open the connections, then start the traffic (--warmup first) at this time, RFC 3339 or Unix seconds, at most 1h ahead: give every load generator of a multi-host run the same")
}

// config turns the flags into a bench.Config.
func (f *loadFlags) config() (bench.Config, error) {
	cfg := f.cfg
	cfg.Frame = frame.Spec{Kind: frame.Kind(f.framing), LengthBytes: f.lengthBytes, FixedSize: f.fixedSize, Max: int(f.maxFrame)}
	if f.framing != string(frame.KindFixed) || f.size != "64" {
		var err error
		if cfg.Sizes, err = bench.ParseSizes(f.size); err != nil {
			return cfg, fmt.Errorf("--size: %w", err)
		}
	}
	if f.hdrLog != "" && f.hdrInterval <= 0 {
		return cfg, fmt.Errorf("--hdr-interval %v: want a positive length", f.hdrInterval)
	}
	var err error
	if cfg.StartAt, err = parseStartAt(f.startAt); err != nil {
		return cfg, err
	}
	for _, s := range f.sources {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return cfg, fmt.Errorf("--sources: %w", err)
		}
		cfg.Sources = append(cfg.Sources, a)
	}
	return cfg, nil
}

// runLoad is echo-bench [run]: it writes the result to stdout and notes,
// the progress bar and the usage to stderr.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("echo-bench", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(stderr)
	fs.Usage = func() {
		io.WriteString(stderr, runUsage)
		fs.PrintDefaults()
	}
	var f loadFlags
	f.define(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	summary, err := summaryOut(f.jsonOut, f.csvOut, stdout, stderr)
	if err != nil {
		return err
	}
	if f.cpus != "" {
		cpus, err := cpuset.Parse(f.cpus)
		if err != nil {
			return err
		}
		if err := proc.PinSelf(cpus); err != nil {
			return err
		}
		runtime.GOMAXPROCS(len(cpus))
	}
	if _, err := proc.RaiseNoFile(uint64(cfg.Conns) + 256); err != nil {
		return err
	}
	var hlog *hdrLog
	if f.hdrLog != "" {
		tag := f.hdrTag
		if tag == "" {
			tag = defaultTag()
		}
		if hlog, err = createHdrLog(f.hdrLog, tag); err != nil {
			return err
		}
		cfg.Interval, cfg.Intervals = f.hdrInterval, hlog.lw.Interval
	}
	var bar *loadBar
	if tty, ok := stderr.(*os.File); ok && !f.quiet && isTerminal(tty) {
		bar = newLoadBar(tty, cfg)
		cfg.Progress = bar.update
	}
	res, runErr := bench.Run(ctx, cfg)
	if bar != nil {
		bar.finish(runErr == nil)
	}
	if res == nil {
		if hlog != nil {
			hlog.f.Close()
			os.Remove(f.hdrLog)
		}
		return runErr
	}
	if hlog != nil {
		if err := hlog.finish(res); err != nil {
			return errors.Join(runErr, err)
		}
	}
	if err := res.WriteText(summary); err != nil {
		return err
	}
	if err := writeTo(f.jsonOut, stdout, res.WriteJSON); err != nil {
		return err
	}
	if err := writeTo(f.csvOut, stdout, res.WriteCSV); err != nil {
		return err
	}
	return runErr
}
