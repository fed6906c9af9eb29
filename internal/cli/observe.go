package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/internal/metrics"
)

// Values of --log-format.
const (
	logText = "text"
	logJSON = "json"
)

// metricsShutdown bounds how long scrapes in progress may finish once the
// server has printed its totals.
const metricsShutdown = time.Second

// checkObservability checks --log-format, --metrics-addr and --pprof,
// naming the flag at fault.
func (o *options) checkObservability() error {
	if o.logFormat != logText && o.logFormat != logJSON {
		return fmt.Errorf("--log-format: %q is not text or json", o.logFormat)
	}
	if o.pprof && o.metricsAddr == "" {
		return fmt.Errorf("--pprof: needs --metrics-addr, the listener the profiler is served on")
	}
	if o.metricsAddr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(metrics.LoopbackDefault(o.metricsAddr)); err != nil {
		return fmt.Errorf("--metrics-addr: %w", err)
	}
	return nil
}

// newLogger returns the logger of --log-format and --log-level, writing
// to w.
func newLogger(format string, level slog.Level, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == logJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// listenMetrics binds --metrics-addr, or returns nil when it is not set.
// Binding comes before the engine starts, so that a busy or bad address
// stops the command before it serves anything.
func listenMetrics(o *options, log *slog.Logger) (*metrics.Listener, error) {
	if o.metricsAddr == "" {
		return nil, nil
	}
	ln, err := metrics.Listen(metrics.Config{Addr: o.metricsAddr, Pprof: o.pprof, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	if !metrics.IsLoopback(o.metricsAddr) {
		log.Warn("metrics served beyond loopback: anyone who can reach the address can read them"+
			pprofWarning(o.pprof), "metrics_addr", ln.Addr().String())
	}
	return ln, nil
}

// pprofWarning is what the beyond-loopback warning adds for --pprof.
func pprofWarning(on bool) string {
	if !on {
		return ""
	}
	return ", and profile the process through /debug/pprof/"
}

// serveMetrics starts serving srv's metrics on ln, and returns the
// listening line's fields for it and the function that stops it.
func serveMetrics(ln *metrics.Listener, srv engine.Server, engineName string, udp, pprof bool, log *slog.Logger) (fields string, stop func()) {
	if ln == nil {
		return "", func() {}
	}
	m := ln.Serve(metrics.Registry(srv, engineName, udp))
	base := "http://" + m.Addr().String()
	fields = " metrics=" + base + metrics.Path
	if pprof {
		fields += " pprof=" + base + metrics.PprofPath
	}
	return fields, func() {
		ctx, cancel := context.WithTimeout(context.Background(), metricsShutdown)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			log.Warn("metrics server: scrapes cut short at exit", "err", err)
		}
	}
}
