package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/internal/bytesize"
	"github.com/rawnet/rawnet/internal/metrics"
	"github.com/rawnet/rawnet/relay"
)

// Exit codes, as echo-tcp's.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// metricsShutdown bounds how long scrapes in progress may finish at exit.
const metricsShutdown = time.Second

// run parses args, starts the relay and, with --metrics-addr, its metrics
// server, prints the listening line to stdout and forwards until ctx is
// done. Then it drains for --shutdown-timeout, prints the totals and
// returns exitOK.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := newFlagSet(&o)
	fs.SetOutput(stderr)
	fs.Usage = func() { printUsage(fs, stdout) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return usageError(stderr, err)
	}
	if fs.NArg() > 0 {
		return usageError(stderr, fmt.Errorf("unexpected argument %q: every setting is a --flag", fs.Arg(0)))
	}
	if o.version {
		fmt.Fprintf(stdout, "relay-tcp %s (%s %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	}
	cfg, err := o.config()
	if err != nil {
		return usageError(stderr, err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(o.logLevel))); err != nil {
		return usageError(stderr, fmt.Errorf("--log-level: %q is not debug, info, warn or error", o.logLevel))
	}
	log := newLogger(o.logFormat, level, stderr)
	cfg.Logger = log
	var mln *metrics.Listener
	if o.metricsAddr != "" {
		if mln, err = metrics.Listen(metrics.Config{Addr: o.metricsAddr, Pprof: o.pprof, Logger: log}); err != nil {
			fmt.Fprintf(stderr, "relay-tcp: --metrics-addr: %v\n", err)
			return exitError
		}
	}
	r, err := relay.Start(cfg)
	if err != nil {
		if mln != nil {
			mln.Close()
		}
		fmt.Fprintf(stderr, "relay-tcp: %v\n", err)
		return exitError
	}
	metricsField := ""
	if mln != nil {
		m := mln.Serve(registry(r))
		metricsField = " metrics=http://" + m.Addr().String() + metrics.Path
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), metricsShutdown)
			defer cancel()
			if err := m.Shutdown(sctx); err != nil {
				log.Warn("metrics server: scrapes cut short at exit", "err", err)
			}
		}()
	}
	path := r.Path().String()
	if r.Path() != relay.PathCopy {
		path += " pipe=" + bytesize.Format(r.PipeCapacity())
		if r.PipeGrowSize() > 0 {
			path += " pipe_grow=" + bytesize.Format(r.PipeGrowSize()) + " pipe_grow_max=" + bytesize.Format(r.PipeGrowMax())
		} else {
			path += " pipe_grow=off"
		}
	}
	loops := cfg.Loops
	if loops == 0 {
		loops = runtime.NumCPU()
	}
	fmt.Fprintf(stdout, "listening on tcp %s upstreams=%s balance=%s path=%s loops=%d connect_timeout=%v idle_timeout=%v max_conns=%d%s\n",
		r.Addr(), strings.Join(cfg.Upstreams, ","), cfg.Balance, path, loops, cfg.ConnectTimeout, cfg.IdleTimeout, cfg.MaxConns, metricsField)
	stopStats := startStats(r, o.statsInterval, stderr)
	defer stopStats()

	select {
	case <-r.Done():
		err := r.Err()
		if err == nil {
			err = errors.New("the relay stopped on its own")
		}
		fmt.Fprintln(stdout, formatStats("totals", r.Stats()))
		fmt.Fprintf(stderr, "relay-tcp: %v\n", err)
		return exitError
	case <-ctx.Done():
	}
	log.Info("shutting down", "drain", o.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	if err := r.Shutdown(sctx); err != nil {
		log.Warn("closed pairs that had not finished", "after", o.shutdownTimeout, "err", err)
	}
	fmt.Fprintln(stdout, formatStats("totals", r.Stats()))
	return exitOK
}

// usageError prints a one-line error naming the flag, then the synopsis.
func usageError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "relay-tcp: %v\nUsage: relay-tcp --upstream HOST:PORT [flags]  (run 'relay-tcp --help' for the flags and examples)\n", err)
	return exitUsage
}

// newLogger returns the logger of --log-format and --log-level.
func newLogger(format string, level slog.Level, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// startStats prints a stats line every interval until the returned func
// is called; a zero interval prints nothing.
func startStats(r *relay.Relay, every time.Duration, w io.Writer) (stop func()) {
	if every <= 0 {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintln(w, formatStats("stats", r.Stats()))
			}
		}
	}()
	return func() { close(done); <-finished }
}

// formatStats renders s as one line of key=value pairs.
func formatStats(kind string, s relay.Stats) string {
	c := s.Closed
	return fmt.Sprintf("%s: accepted=%d active=%d closed=%d bytes_up=%d bytes_down=%d spliced=%d copied=%d held=%d pipes=%d no_pipe=%d"+
		" pipes_grown=%d pipe_grows=%d pipe_grow_refused=%d pipe_grow_over_budget=%d"+
		" closes: done=%d client_reset=%d upstream_reset=%d connect_refused=%d connect_timeout=%d connect_error=%d idle_timeout=%d shutdown=%d max_conns=%d",
		kind, s.Accepted, s.Active, c.Total(), s.BytesUp, s.BytesDown, s.Spliced, s.Copied, s.Held, s.Pipes, s.NoPipe,
		s.GrownPipes, s.PipeGrows, s.PipeGrowRefused, s.PipeGrowOverBudget,
		c.Done, c.ClientReset, c.UpstreamReset, c.ConnectRefused, c.ConnectTimeout, c.ConnectError, c.IdleTimeout, c.Shutdown, c.MaxConns)
}

// version returns the VCS revision the binary was built from, as the Go
// toolchain stamps it, or "dev". It does not read internal/cli's Version,
// which would link every engine into the relay.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	rev, dirty := "", ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "dev"
	}
	return rev[:min(len(rev), 12)] + dirty
}
