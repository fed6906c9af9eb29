// Command kv is an in-memory key-value server that speaks enough of the
// Redis protocol for redis-cli, redis-benchmark and client libraries:
// GET, SET, DEL, INCR, MGET, PING, ECHO and pipelining. It is an example
// of a real protocol on rawnet's netpoll, not a Redis; README.md says
// what it leaves out. Run `kv --help` for its flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/examples/kv/server"
)

// Exit codes of run.
const (
	exitOK    = 0 // served and shut down cleanly, or printed help
	exitError = 1 // the server could not start or stopped on an error
	exitUsage = 2 // bad flags or values
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args, starts the server, prints the listening line and
// serves until ctx is done (main cancels it on SIGINT or SIGTERM); then
// it lets connections drain for --shutdown-timeout, prints totals and
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
	if err := o.check(); err != nil {
		return usageError(stderr, err)
	}
	srv, err := server.Listen(o.addr, o.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "kv: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "listening on tcp %s loops=%d\n", srv.Addr(), srv.Loops())

	select {
	case <-srv.Done():
		fmt.Fprintf(stderr, "kv: server stopped: %v\n", srv.Err())
		printTotals(stdout, srv.Stats())
		return exitError
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "kv: closed connections that had not drained after %v\n", o.shutdownTimeout)
	}
	printTotals(stdout, srv.Stats())
	return exitOK
}

// printTotals writes the final counters on one line.
func printTotals(w io.Writer, s server.Stats) {
	fmt.Fprintf(w, "totals: connections=%d commands=%d protocol_errors=%d output_limits=%d keys=%d bytes_in=%d bytes_out=%d\n",
		s.Accepted, s.Commands, s.ProtocolErrors, s.OutputLimits, s.Keys, s.BytesIn, s.BytesOut)
}

// usageError prints a one-line error and the synopsis, and returns
// exitUsage.
func usageError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "kv: %v\nUsage: kv [flags]  (run 'kv --help' for the flags)\n", err)
	return exitUsage
}
