package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/internal/bytesize"
	"github.com/rawnet/rawnet/internal/cpuset"
	"github.com/rawnet/rawnet/internal/metrics"
	"github.com/rawnet/rawnet/netpoll"
	"github.com/rawnet/rawnet/relay"
)

// options is what the flags fill in before they become a relay.Config.
type options struct {
	cfg             relay.Config
	balance         string
	splice          string
	pipeSize        bytesize.Size
	pipeGrowMax     string
	rcvbuf, sndbuf  bytesize.Size
	nodelay         bool
	reuseaddr       bool
	cpuAffinity     string
	statsInterval   time.Duration
	shutdownTimeout time.Duration
	logLevel        string
	logFormat       string
	metricsAddr     string
	pprof           bool
	version         bool
}

// newFlagSet defines every flag on a fresh FlagSet bound to o.
func newFlagSet(o *options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("relay-tcp", pflag.ContinueOnError)
	fs.SortFlags = false
	c := &o.cfg
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:9100", "address to listen on; port 0 picks a free port (binding beyond loopback is an explicit choice)")
	fs.StringArrayVar(&c.Upstreams, "upstream", nil, "HOST:PORT to forward to (required; repeat for several, chosen by --balance)")
	fs.StringVar(&o.balance, "balance", "roundrobin", "how a new connection picks its upstream: roundrobin or leastconn (fewest open pairs)")
	fs.StringVar(&o.splice, "splice", "auto", "data path: on (--splice alone) moves bytes socket → pipe → socket with splice(2), never through user space; off copies them through the loop's buffer; "+
		"auto copies while a direction's reads are small and splices while they are 32KiB or more. Where the kernel cannot splice, every setting copies")
	fs.Lookup("splice").NoOptDefVal = "on"
	fs.Var(&o.pipeSize, "pipe-size", "pipe capacity for --splice (F_SETPIPE_SZ; the kernel rounds up to a power-of-two number of pages, at most fs.pipe-max-size); 0 keeps the kernel's 64KiB "+
		"and lets bulk transfers grow theirs (--pipe-grow-max); a size set here is every pipe's, and none grows")
	fs.StringVar(&o.pipeGrowMax, "pipe-grow-max", "auto", "total `size` of the pipes grown for bulk transfers (auto, a size, or 0: never grow): a direction whose splice fills its 64KiB pipe with more bytes right behind "+
		"is lent a 1MiB pipe (F_SETPIPE_SZ; fs.pipe-max-size if smaller) while grown pipes stay within this, until its reads turn small. "+
		"The kernel counts each pipe's size against its user's quota, fs.pipe-user-pages-soft, and once the user is over it gives the user's unprivileged processes new pipes of 2 pages (8KiB): "+
		"auto is a quarter of that quota (16MiB, sixteen grown pipes, with the default 16384 pages), root included")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", 5*time.Second, "give up connecting to an upstream after this long and close the client (0: the kernel's SYN retries, about 2 minutes)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 0, "close a pair whose sides have moved nothing for this long (0: never)")
	fs.IntVar(&c.MaxConns, "max-conns", 0, "most open pairs; more clients are accepted and closed at once (0: no limit but the fd limit)")
	fs.IntVar(&c.Loops, "loops", 0, "event loops; a pair lives on one loop (0: one per CPU)")
	fs.StringVar(&o.cpuAffinity, "cpu-affinity", "", "pin the loops to these CPUs, one per listed CPU in turn, e.g. 1 or 2,3")
	fs.Var(&o.rcvbuf, "rcvbuf", "SO_RCVBUF request on the listener, inherited by clients (the kernel doubles it and clamps it to net.core.rmem_max); 0 keeps the default")
	fs.Var(&o.sndbuf, "sndbuf", "SO_SNDBUF request on the listener (doubled, clamped to net.core.wmem_max); 0 keeps the default")
	fs.BoolVar(&c.Sockopts.ForceBuf, "force-buf", false, "use SO_RCVBUFFORCE/SO_SNDBUFFORCE to pass the sysctl clamps (needs CAP_NET_ADMIN)")
	fs.BoolVar(&o.nodelay, "nodelay", true, "set TCP_NODELAY on both sides of every pair")
	fs.BoolVar(&c.Sockopts.ReusePort, "reuseport", false, "set SO_REUSEPORT so several relays can share the port")
	fs.BoolVar(&o.reuseaddr, "reuseaddr", true, "set SO_REUSEADDR so a restart can bind while old connections linger in TIME_WAIT")
	fs.DurationVar(&c.Sockopts.KeepAlive, "keepalive", 0, "TCP keepalive idle time before probes, on both sides (0 leaves keepalive off)")
	fs.BoolVar(&c.Sockopts.QuickAck, "quickack", false, "set TCP_QUICKACK on both sides of every pair")
	fs.DurationVar(&c.Sockopts.BusyPoll, "busy-poll", 0, "SO_BUSY_POLL time (microsecond resolution; above net.core.busy_poll needs CAP_NET_ADMIN)")
	fs.DurationVar(&o.statsInterval, "stats-interval", 0, "print a stats line to stderr this often (0: only totals at exit)")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 5*time.Second, "on SIGINT/SIGTERM, how long to let pairs finish before closing them")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level on stderr: debug (also client resets), info, warn (upstream failures) or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text (key=value pairs) or json (one JSON object per line)")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://HOST:PORT/metrics (off by default; :PORT or a bare port means loopback)")
	fs.BoolVar(&o.pprof, "pprof", false, "also serve the Go profiler under /debug/pprof/ on --metrics-addr, which it needs")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	return fs
}

// config turns parsed options into a relay.Config, or an error naming the
// flag at fault.
func (o *options) config() (relay.Config, error) {
	c := o.cfg
	if len(c.Upstreams) == 0 {
		return c, errors.New("--upstream: at least one HOST:PORT is required")
	}
	for _, u := range c.Upstreams {
		if _, _, err := net.SplitHostPort(u); err != nil {
			return c, fmt.Errorf("--upstream: %w", err)
		}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("--addr: %w", err)
	}
	b, err := relay.ParseBalance(o.balance)
	if err != nil {
		return c, fmt.Errorf("--balance: %q is not roundrobin or leastconn", o.balance)
	}
	c.Balance = b
	// The process runs nothing but its loops and a metrics page, so its
	// loops sleep in epoll_wait, as echo-tcp's do: a park on the Go
	// runtime's poller costs every wake-up more system calls
	// (netpoll.WaitSyscall). Nothing else in it needs the loops' P while
	// they wait, so their short waits hold it, out of sysmon's reach
	// (netpoll.Config.HoldShortWaits).
	c.Wait = netpoll.WaitSyscall
	c.HoldShortWaits = true
	switch o.splice {
	case "auto":
		c.Path = relay.PathAuto
	case "on", "true":
		c.Path = relay.PathSplice
	case "off", "false":
		c.Path = relay.PathCopy
	default:
		return c, fmt.Errorf("--splice: %q is not auto, on or off", o.splice)
	}
	c.PipeSize = int(o.pipeSize)
	switch o.pipeGrowMax {
	case "auto", "":
		c.PipeGrowMax = 0
	default:
		n, err := bytesize.Parse(o.pipeGrowMax)
		if err != nil {
			return c, fmt.Errorf("--pipe-grow-max: %q is not auto or a size such as 64MiB or 0", o.pipeGrowMax)
		}
		c.PipeGrowMax = n
		if n == 0 {
			c.PipeGrowMax = -1 // relay.Config's "never"; its 0 is auto
		}
	}
	c.Sockopts.RecvBuf = int(o.rcvbuf)
	c.Sockopts.SendBuf = int(o.sndbuf)
	c.Sockopts.Nagle = !o.nodelay
	c.Sockopts.NoReuseAddr = !o.reuseaddr
	if c.Loops < 0 || c.MaxConns < 0 {
		return c, errors.New("--loops and --max-conns must not be negative")
	}
	if c.ConnectTimeout < 0 || c.IdleTimeout < 0 || o.shutdownTimeout < 0 || o.statsInterval < 0 {
		return c, errors.New("--connect-timeout, --idle-timeout, --shutdown-timeout and --stats-interval must not be negative")
	}
	if o.cpuAffinity != "" {
		cpus, err := cpuset.Parse(o.cpuAffinity)
		if err != nil {
			return c, fmt.Errorf("--cpu-affinity: %w", err)
		}
		c.CPUs = cpus
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return c, fmt.Errorf("--log-format: %q is not text or json", o.logFormat)
	}
	if o.pprof && o.metricsAddr == "" {
		return c, errors.New("--pprof: needs --metrics-addr, the listener the profiler is served on")
	}
	if o.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(metrics.LoopbackDefault(o.metricsAddr)); err != nil {
			return c, fmt.Errorf("--metrics-addr: %w", err)
		}
	}
	return c, nil
}

// printUsage writes what the relay does, every flag and a few examples.
func printUsage(fs *pflag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `Usage: relay-tcp --upstream HOST:PORT [flags]

Forward every TCP connection accepted on --addr to an upstream: each client
is paired with a connection to one of the --upstream addresses, opened
without blocking on the same event loop, and bytes flow both ways until both
sides have sent their FIN. A FIN one way is passed on as a half-close while
the other direction keeps flowing; a side that stops reading stops the
relay reading the other (memory per pair stays at most one pipe or 64KiB
buffer per direction); an upstream that refuses, resets or times out
closes only its own pair, with a log line and a counted reason.

With --splice=on bytes go socket → pipe → socket inside the kernel;
--splice=off copies them through the loop's buffer; --splice=auto (the
default) copies small reads, where two splices and a pipe cost more than a
recv and a send, and splices bulk ones. A direction whose splices keep
filling its pipe moves on to a 1MiB pipe, within --pipe-grow-max.
docs/perf/relay/README.md measures the three against HAProxy and Go's
io.Copy.

Flags:
`)
	fmt.Fprint(w, fs.FlagUsages())
	fmt.Fprint(w, `
Sizes take binary suffixes: 65536, 64KiB, 1MiB. Durations as Go writes them: 500ms, 30s, 2m.

On SIGINT or SIGTERM the relay stops accepting, lets pairs finish until
they are quiet or --shutdown-timeout passes, prints its totals and exits 0.

Examples:
  relay-tcp --upstream 127.0.0.1:9000                       # then: nc 127.0.0.1 9100
  relay-tcp --upstream 10.0.0.5:6379 --upstream 10.0.0.6:6379 --balance leastconn --connect-timeout 1s
  relay-tcp --addr 0.0.0.0:8080 --upstream 127.0.0.1:80 --max-conns 10000 --idle-timeout 5m
  relay-tcp --upstream 127.0.0.1:9000 --splice=off --loops 1 --cpu-affinity 1   # the copy path on CPU 1
  relay-tcp --upstream 127.0.0.1:9000 --pipe-grow-max 0      # every pipe stays at the kernel's 64KiB
  relay-tcp --upstream 127.0.0.1:9000 --metrics-addr :9190   # Prometheus metrics at http://127.0.0.1:9190/metrics
`)
}
