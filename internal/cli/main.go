package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// Main runs cmd with the process's arguments and standard streams, turns
// SIGINT and SIGTERM into a graceful shutdown, and exits with Run's code.
func Main(cmd Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, cmd, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
