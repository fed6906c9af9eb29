// Command echo-bench measures echo servers: it is a load generator for one
// server (echo-bench [flags]) and a matrix runner that starts every rawnet
// engine and the C reference side by side and compares them
// (echo-bench matrix [flags]), and holds many connections on one server
// (or on several processes sharing its port, past the per-process open
// file limit) to measure its memory (echo-bench scale [flags]), and merges
// the HdrHistogram logs of runs on several hosts or processes into one
// exact result (echo-bench merge [flags] FILE...). Run it with --help for
// the details.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := os.Args[1:]
	var err error
	switch {
	case len(args) > 0 && args[0] == "matrix":
		err = runMatrix(ctx, args[1:])
	case len(args) > 0 && args[0] == "scale":
		err = runScale(ctx, args[1:])
	case len(args) > 0 && args[0] == "merge":
		err = runMerge(ctx, args[1:], os.Stdout, os.Stderr)
	case len(args) > 0 && args[0] == "run":
		err = runLoad(ctx, args[1:], os.Stdout, os.Stderr)
	default:
		err = runLoad(ctx, args, os.Stdout, os.Stderr)
	}
	if errors.Is(err, pflag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo-bench:", err)
		os.Exit(1)
	}
}

// isTerminal reports whether f is a terminal, so progress bars are drawn
// only where someone watches them.
func isTerminal(f *os.File) bool {
	_, err := unixIoctlGetTermios(int(f.Fd()))
	return err == nil
}
