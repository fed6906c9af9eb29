package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/examples/kv/resp"
	"github.com/rawnet/rawnet/examples/kv/server"
)

// options is what the flags fill in: the server's Config and what run
// itself needs.
type options struct {
	addr            string
	cfg             server.Config
	shutdownTimeout time.Duration
}

// newFlagSet defines every flag on a fresh FlagSet bound to o, one flag
// per Config field.
func newFlagSet(o *options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("kv", pflag.ContinueOnError)
	fs.SortFlags = false
	c := &o.cfg
	fs.StringVar(&o.addr, "addr", "127.0.0.1:6380", "address to bind; port 0 picks a free port (binding beyond loopback is an explicit choice: there is no AUTH)")
	fs.IntVar(&c.Loops, "loops", 0, "event loops, each on its own OS thread; 0 means one per CPU")
	fs.IntVar(&c.Limits.Args, "max-args", resp.DefaultArgs, "most arguments in one command, its name included")
	fs.IntVar(&c.Limits.Bulk, "max-bulk", resp.DefaultBulk, "largest argument (bulk string), in bytes")
	fs.IntVar(&c.Limits.Command, "max-command", resp.DefaultCommand, "largest command, in bytes, headers included; also the most a connection holds of a command in progress")
	fs.IntVar(&c.MaxOutput, "max-output", server.DefaultMaxOutput, "unsent reply bytes past which a connection is closed")
	fs.IntVar(&c.MaxConns, "max-conns", 0, "most open connections; more are accepted and closed at once (0: no limit but the fd limit)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 0, "close a connection that sends nothing, or does not finish a command, for this long (0: never)")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 5*time.Second, "on SIGINT/SIGTERM, how long to let connections drain before closing them")
	return fs
}

// check returns an error naming the flag at fault.
func (o *options) check() error {
	c := o.cfg
	switch {
	case c.Loops < 0:
		return fmt.Errorf("--loops: %d is negative", c.Loops)
	case c.Limits.Args <= 0:
		return fmt.Errorf("--max-args: must be positive")
	case c.Limits.Bulk <= 0:
		return fmt.Errorf("--max-bulk: must be positive")
	case c.Limits.Command < 16:
		return fmt.Errorf("--max-command: %d is under 16 bytes, the shortest command", c.Limits.Command)
	case c.MaxOutput <= 0:
		return fmt.Errorf("--max-output: must be positive")
	case c.MaxConns < 0:
		return fmt.Errorf("--max-conns: %d is negative", c.MaxConns)
	case c.IdleTimeout < 0 || o.shutdownTimeout < 0:
		return fmt.Errorf("--idle-timeout and --shutdown-timeout must not be negative")
	}
	return c.Check()
}

// printUsage writes the synopsis, the flags and a few examples.
func printUsage(fs *pflag.FlagSet, w io.Writer) {
	fmt.Fprint(w, "Usage: kv [flags]\n\nServe an in-memory key-value store over the Redis protocol: GET, SET, DEL, INCR, MGET, PING, ECHO, pipelining.\n\nFlags:\n")
	fmt.Fprint(w, fs.FlagUsages())
	fmt.Fprint(w, "\nExamples:\n")
	fmt.Fprint(w, "  kv                                   # then: redis-cli -p 6380 set greeting hello\n")
	fmt.Fprint(w, "  kv --addr 127.0.0.1:0 --loops 1      # free port, one loop\n")
	fmt.Fprint(w, "  redis-benchmark -p 6380 -t set,get -P 16 -q\n")
}
