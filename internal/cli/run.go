package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/all"
)

// Version is the version --version prints; the Makefile sets it with
// -ldflags "-X github.com/rawnet/rawnet/internal/cli.Version=...".
var Version = "dev"

// Exit codes of Run.
const (
	ExitOK    = 0 // served and shut down cleanly, or printed help/version
	ExitError = 1 // the server could not start or stopped on an error
	ExitUsage = 2 // bad flags or values
)

// Run parses args for cmd, starts the chosen engine and, with
// --metrics-addr, its metrics server, prints the listening line to stdout
// and serves until ctx is done (the mains cancel it on SIGINT or
// SIGTERM). Then it stops accepting, lets connections drain for
// --shutdown-timeout, prints totals to stdout, stops the metrics server
// and returns ExitOK.
func Run(ctx context.Context, cmd Command, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := newFlagSet(cmd, &o)
	fs.SetOutput(stderr)
	fs.Usage = func() { printUsage(cmd, fs, stdout) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return ExitOK
		}
		return usageError(cmd, stderr, err)
	}
	if fs.NArg() > 0 {
		return usageError(cmd, stderr, fmt.Errorf("unexpected argument %q: every setting is a --flag", fs.Arg(0)))
	}
	if o.version {
		fmt.Fprintf(stdout, "%s %s (%s %s/%s)\n", cmd.Name, Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return ExitOK
	}
	if o.listEngines {
		for _, name := range all.Names() {
			// stdout lists only the engines that can run here, one
			// name a line, as scripts read it; stderr says why the
			// others cannot.
			if err := all.Available(name); err != nil {
				fmt.Fprintf(stderr, "%s: unavailable: %v\n", name, err)
				continue
			}
			fmt.Fprintln(stdout, name)
		}
		return ExitOK
	}
	cfg, err := o.config(cmd)
	if err != nil {
		return usageError(cmd, stderr, err)
	}
	level, err := parseLevel(o.logLevel)
	if err != nil {
		return usageError(cmd, stderr, err)
	}
	log := newLogger(o.logFormat, level, stderr)
	cfg.Logger = log
	mln, err := listenMetrics(&o, log)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd.Name, err)
		return ExitError
	}

	eng, _ := all.Lookup(o.engine)
	srv, err := eng.Start(cfg)
	if err != nil {
		if mln != nil {
			mln.Close()
		}
		fmt.Fprintf(stderr, "%s: %v\n", cmd.Name, err)
		return ExitError
	}
	norm, codec, _ := cfg.Normalize()
	// Deferred before the stats ticker, so the metrics stay up until the
	// totals are printed.
	metricsFields, stopMetrics := serveMetrics(mln, srv, eng.Name(), norm.IsUDP(), o.pprof, log)
	defer stopMetrics()
	report := srv.Sockopts()
	fmt.Fprintf(stdout, "listening on %s %s engine=%s framing=%s loops=%d%s%s%s%s%s %s\n",
		cmd.Network, srv.Addr(), eng.Name(), codec, norm.Loops, affinityField(norm), deferField(norm, eng.Name()), rateLimitFields(norm), workFields(norm, eng.Name()), metricsFields, report)
	for _, w := range report.Warnings {
		log.Warn(w)
	}
	if cmd.Network == "udp" && !loopbackAddr(cfg.Addr) {
		log.Warn(reflectionWarning(norm), "addr", srv.Addr())
	}

	format := statsFormat{asJSON: o.statsJSON, work: norm.Work.String(), workSeed: norm.WorkSeed}
	stopStats := startStats(srv, o.statsInterval, format, stderr)
	defer stopStats()

	select {
	case <-srv.Done():
		err := srv.Err()
		if err == nil {
			err = errors.New("the engine stopped serving on its own")
		}
		printTotals(stdout, srv.Stats(), format)
		fmt.Fprintf(stderr, "%s: %v\n", cmd.Name, err)
		return ExitError
	case <-ctx.Done():
	}
	log.Info("shutting down", "drain", o.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("closed connections that had not drained", "after", o.shutdownTimeout, "err", err)
	}
	printTotals(stdout, srv.Stats(), format)
	return ExitOK
}

// usageError prints a one-line error naming the flag, then the synopsis,
// and returns ExitUsage. The full flag list is one --help away; repeating
// it here would bury the error.
func usageError(cmd Command, stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "%s: %v\nUsage: %s [flags]  (run '%s --help' for the flags and examples)\n", cmd.Name, err, cmd.Name, cmd.Name)
	return ExitUsage
}

// printUsage writes the synopsis, every flag and a few examples.
func printUsage(cmd Command, fs *pflag.FlagSet, w io.Writer) {
	kind := "TCP"
	if cmd.Network == "udp" {
		kind = "UDP"
	}
	fmt.Fprintf(w, "Usage: %s [flags]\n\nServe %s echo: every complete frame a peer sends comes back unchanged, in order.\n\nFlags:\n", cmd.Name, kind)
	fmt.Fprint(w, fs.FlagUsages())
	fmt.Fprintf(w, "\nSizes take binary suffixes: 65536, 64KiB, 512k, 4MiB. Durations as Go writes them: 500ms, 30s, 2m.\n\nExamples:\n")
	if cmd.Network == "tcp" {
		fmt.Fprintf(w, "  %s --framing line                      # then: nc 127.0.0.1 9000\n", cmd.Name)
		fmt.Fprintf(w, "  %s --addr 127.0.0.1:0 --engine std     # free port, goroutine per connection\n", cmd.Name)
		fmt.Fprintf(w, "  %s --framing length --max-frame 1MiB --rcvbuf 4MiB --idle-timeout 30s\n", cmd.Name)
		fmt.Fprintf(w, "  %s --metrics-addr 127.0.0.1:9100 --log-format json  # Prometheus metrics at http://127.0.0.1:9100/metrics\n", cmd.Name)
		fmt.Fprintf(w, "  %s --engine threads --work cpu:20us,sleep:5ms@1%%   # 20us of CPU per frame, and 1%% of frames wait 5ms\n", cmd.Name)
	} else {
		fmt.Fprintf(w, "  %s                                     # then: nc -u 127.0.0.1 9001\n", cmd.Name)
		fmt.Fprintf(w, "  %s --loops 2 --rcvbuf 8MiB --udp-buffer 9000\n", cmd.Name)
		fmt.Fprintf(w, "  %s --metrics-addr :9101 --pprof              # metrics and the profiler on loopback port 9101\n", cmd.Name)
		fmt.Fprintf(w, "  %s --addr 0.0.0.0:9001 --allow-public --rate-limit 100 --rate-burst 200  # open to all, reflection capped\n", cmd.Name)
	}
}

// parseLevel maps --log-level onto a slog level.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("--log-level: %q is not debug, info, warn or error", s)
	}
	return l, nil
}

// startStats prints a stats line every interval until the returned func is
// called. A zero interval prints nothing.
func startStats(srv engine.Server, every time.Duration, f statsFormat, w io.Writer) (stop func()) {
	if every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				printStats(w, "stats", srv.Stats(), f)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// printTotals writes the final counters.
func printTotals(w io.Writer, s engine.Stats, f statsFormat) {
	printStats(w, "totals", s, f)
}
