// Package cli holds what echo-tcp and echo-udp share: flags mapped one to
// one onto engine.Config, the listening line, stats output and the signal
// handling around a running server.
package cli

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/all"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/internal/bytesize"
	"github.com/rawnet/rawnet/internal/cpuset"
)

// Command describes one of the echo binaries.
type Command struct {
	// Name is the binary's name, as in "echo-tcp".
	Name string
	// Network is "tcp" or "udp".
	Network string
	// DefaultAddr is the --addr default.
	DefaultAddr string
}

// options is what the flags fill in before they become an engine.Config.
type options struct {
	cfg             engine.Config
	engine          string
	framing         string
	maxFrame        bytesize.Size
	rcvbuf, sndbuf  bytesize.Size
	writeLimit      bytesize.Size
	inputBudget     bytesize.Size
	udpBuffer       bytesize.Size
	nodelay         bool
	reuseaddr       bool
	statsInterval   time.Duration
	statsJSON       bool
	shutdownTimeout time.Duration
	logLevel        string
	logFormat       string
	metricsAddr     string
	pprof           bool
	allowPublic     bool
	version         bool
	listEngines     bool
	cpuAffinity     string
	deferWrites     bool
}

// newFlagSet defines every flag of cmd on a fresh FlagSet bound to o.
func newFlagSet(cmd Command, o *options) *pflag.FlagSet {
	fs := pflag.NewFlagSet(cmd.Name, pflag.ContinueOnError)
	fs.SortFlags = false
	c := &o.cfg
	tcp := cmd.Network == "tcp"

	fs.StringVar(&c.Addr, "addr", cmd.DefaultAddr, "address to bind; port 0 picks a free port (binding beyond loopback is an explicit choice)")
	fs.StringVar(&o.engine, "engine", all.Default, "concurrency model: "+strings.Join(all.Names(), ", "))
	fs.BoolVar(&o.listEngines, "list-engines", false, "print the available engines, one per line, and exit")
	fs.IntVar(&c.Loops, "loops", 0, "event loops (epoll, gnet) or sockets (UDP); 0 means one per CPU")
	fs.StringVar(&o.cpuAffinity, "cpu-affinity", "", "pin the engine's threads to these CPUs, one per listed CPU in turn, e.g. 0-1 or 2,3: epoll's loops, the threads engine's workers and UDP sockets (std and gnet refuse it: use taskset)")
	if tcp {
		fs.StringVar(&c.Balance, "balance", engine.BalanceRoundRobin, "how loops share connections: reuseport (a listener per loop), roundrobin or leastconn (one acceptor)")
		fs.IntVar(&c.Threads, "threads", engine.DefaultThreads, "thread pool bound of the threads engine (further connections wait in the listen backlog), and most workers of the pool engine in all, those asleep in --work's sleep included")
		fs.BoolVar(&o.deferWrites, "defer-writes", true, "epoll engine: hold echoes of up to 2KiB and send them together at the end of the loop's round, or once 64KiB is held, so that a client waiting on many connections is woken once per round rather than per echo (false: send each at once)")
		fs.DurationVar(&c.ThreadKeepAlive, "thread-keepalive", engine.DefaultThreadKeepAlive, "how long an idle thread of the threads engine's pool waits for a connection, or an idle worker of the pool engine for a frame, before it exits")
	}

	fs.StringVar(&o.framing, "framing", string(frame.KindRaw), "frame format: raw (bytes as they come), line (ends with \\n), length (big-endian header + payload), fixed (N bytes)")
	fs.IntVar(&c.Frame.LengthBytes, "length-bytes", 4, "header size of --framing length: 1, 2, 4 or 8")
	fs.IntVar(&c.Frame.FixedSize, "fixed-size", 64, "frame size of --framing fixed, in bytes")
	o.maxFrame = bytesize.Size(frame.DefaultMax)
	fs.Var(&o.maxFrame, "max-frame", "largest frame, header and delimiter included; a bigger one closes the connection")

	fs.Var(&o.rcvbuf, "rcvbuf", "SO_RCVBUF request (the kernel doubles it and clamps it to net.core.rmem_max); 0 keeps the default")
	fs.Var(&o.sndbuf, "sndbuf", "SO_SNDBUF request (doubled, clamped to net.core.wmem_max); 0 keeps the default")
	fs.BoolVar(&c.Sockopts.ForceBuf, "force-buf", false, "use SO_RCVBUFFORCE/SO_SNDBUFFORCE to pass the sysctl clamps (needs CAP_NET_ADMIN)")
	if tcp {
		fs.BoolVar(&o.nodelay, "nodelay", true, "set TCP_NODELAY (disable Nagle's algorithm) on every connection")
	}
	fs.BoolVar(&c.Sockopts.ReusePort, "reuseport", false, "set SO_REUSEPORT so several servers or sockets can share the port")
	fs.BoolVar(&o.reuseaddr, "reuseaddr", true, "set SO_REUSEADDR so a restart can bind while old connections linger in TIME_WAIT")
	if tcp {
		fs.DurationVar(&c.Sockopts.KeepAlive, "keepalive", 0, "TCP keepalive idle time before probes (0 leaves keepalive off)")
		fs.BoolVar(&c.Sockopts.QuickAck, "quickack", false, "set TCP_QUICKACK on accepted connections")
		fs.DurationVar(&c.Sockopts.BusyPoll, "busy-poll", 0, "SO_BUSY_POLL time (microsecond resolution; above net.core.busy_poll needs CAP_NET_ADMIN)")

		fs.IntVar(&c.MaxConns, "max-conns", 0, "most concurrent connections; more are accepted and closed at once (0: no limit but the fd limit)")
		fs.DurationVar(&c.IdleTimeout, "idle-timeout", 0, "close a connection that sends nothing, or does not finish the frame it started, for this long (0: never)")
		fs.DurationVar(&c.WriteTimeout, "write-timeout", 0, "close a connection whose pending output makes no progress for this long (0: never)")
		o.writeLimit = engine.DefaultWriteLimit
		fs.Var(&o.writeLimit, "write-limit", "per-connection unsent output past which the server stops reading that connection")
		fs.Var(&o.inputBudget, "input-budget", "server-wide memory for frames in progress past 64KiB each; a connection that cannot get room waits (0: max(16MiB, 2 x --max-frame))")
	} else {
		o.udpBuffer = engine.DefaultUDPBuffer
		fs.Var(&o.udpBuffer, "udp-buffer", "datagram receive buffer; longer datagrams are dropped and counted, never echoed cut short")
		fs.BoolVar(&o.allowPublic, "allow-public", false, "allow binding beyond loopback (an open UDP echo is a reflection vector)")
		addRateLimitFlags(fs, c)
	}
	addWorkFlags(fs, c)

	fs.DurationVar(&o.statsInterval, "stats-interval", 0, "print a stats line to stderr this often (0: only totals at exit)")
	fs.BoolVar(&o.statsJSON, "stats-json", false, "print stats and totals as JSON objects instead of text")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 5*time.Second, "on SIGINT/SIGTERM, how long to let connections drain before closing them")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level on stderr: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", logText, "log format on stderr: text (key=value pairs) or json (one JSON object per line)")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://HOST:PORT/metrics (off by default; :PORT or a bare port means loopback; "+
		"a host beyond loopback exposes the metrics, and --pprof, to everyone who can reach it)")
	fs.BoolVar(&o.pprof, "pprof", false, "also serve the Go profiler under /debug/pprof/ on --metrics-addr, which it needs")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	return fs
}

// config turns parsed options into an engine.Config, or an error that names
// the flag at fault.
func (o *options) config(cmd Command) (engine.Config, error) {
	c := o.cfg
	c.Network = cmd.Network
	c.Frame.Kind = frame.Kind(o.framing)
	c.Frame.Max = int(o.maxFrame)
	c.Sockopts.RecvBuf = int(o.rcvbuf)
	c.Sockopts.SendBuf = int(o.sndbuf)
	c.Sockopts.Nagle = cmd.Network == "tcp" && !o.nodelay
	c.Sockopts.NoReuseAddr = !o.reuseaddr
	c.WriteLimit = int(o.writeLimit)
	c.InputBudget = int(o.inputBudget)
	c.UDPBuffer = int(o.udpBuffer)
	c.SendAtOnce = cmd.Network == "tcp" && !o.deferWrites

	if _, ok := all.Lookup(o.engine); !ok {
		return c, fmt.Errorf("--engine: unknown engine %q (available: %s)", o.engine, strings.Join(all.Names(), ", "))
	}
	codec, err := frame.New(c.Frame)
	if err != nil {
		return c, fmt.Errorf("--framing/--length-bytes/--fixed-size/--max-frame: %w", err)
	}
	if c.InputBudget > 0 && c.InputBudget < codec.Max() {
		return c, fmt.Errorf("--input-budget: %s is under the largest frame (%s), which could then never be read", bytesize.Format(c.InputBudget), bytesize.Format(codec.Max()))
	}
	if c.Loops < 0 {
		return c, fmt.Errorf("--loops: %d is negative", c.Loops)
	}
	if o.cpuAffinity != "" {
		cpus, err := cpuset.Parse(o.cpuAffinity)
		if err != nil {
			return c, fmt.Errorf("--cpu-affinity: %w", err)
		}
		c.CPUAffinity = cpus
	}
	if c.Threads < 0 {
		return c, fmt.Errorf("--threads: %d is negative", c.Threads)
	}
	if c.ThreadKeepAlive < 0 {
		return c, fmt.Errorf("--thread-keepalive: %v is negative", c.ThreadKeepAlive)
	}
	if err := checkWorkers(c); err != nil {
		return c, err
	}
	if c.MaxConns < 0 {
		return c, fmt.Errorf("--max-conns: %d is negative", c.MaxConns)
	}
	if c.IdleTimeout < 0 || c.WriteTimeout < 0 || o.shutdownTimeout < 0 || o.statsInterval < 0 {
		return c, fmt.Errorf("--idle-timeout, --write-timeout, --shutdown-timeout and --stats-interval must not be negative")
	}
	if cmd.Network == "tcp" && o.writeLimit == 0 {
		return c, fmt.Errorf("--write-limit: must be positive")
	}
	if cmd.Network == "udp" && o.udpBuffer == 0 {
		return c, fmt.Errorf("--udp-buffer: must be positive")
	}
	if err := checkRateLimit(c.UDPRateLimit, c.UDPRateBurst); err != nil {
		return c, err
	}
	if err := o.checkObservability(); err != nil {
		return c, err
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("--addr: %w", err)
	}
	if cmd.Network == "udp" && !o.allowPublic && !loopbackAddr(c.Addr) {
		return c, fmt.Errorf("--addr: %s is not a loopback address; an open UDP echo service can be used for reflection attacks, pass --allow-public to bind it anyway, and consider --rate-limit", c.Addr)
	}
	if _, _, err := c.Normalize(); err != nil {
		return c, err
	}
	return c, nil
}

// loopbackAddr reports whether the host of a host:port address names only
// loopback addresses. An empty host binds every interface, so it is not
// loopback.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// deferField is the part of the listening line that says whether the
// epoll engine holds small TCP echoes to the end of its round
// (--defer-writes); other engines and UDP have no such choice.
func deferField(cfg engine.Config, engineName string) string {
	if engineName != "epoll" || cfg.IsUDP() {
		return ""
	}
	if cfg.SendAtOnce {
		return " defer-writes=off"
	}
	return " defer-writes=on"
}
