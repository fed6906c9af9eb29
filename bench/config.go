package bench

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"time"

	"github.com/rawnet/rawnet/frame"
)

// Defaults applied to zero Config fields.
const (
	// DefaultDuration is how long a run measures.
	DefaultDuration = 10 * time.Second
	// DefaultTCPTimeout bounds the wait for outstanding echoes once a TCP
	// run stops sending; an echo still missing then is a lost message.
	DefaultTCPTimeout = 5 * time.Second
	// DefaultUDPTimeout is how long a datagram may stay unanswered before
	// it counts as lost and frees its slot in the window.
	DefaultUDPTimeout = 250 * time.Millisecond
	// MaxStartWait is how far ahead Config.StartAt may lie: a start
	// further away is more likely a mistake than a plan.
	MaxStartWait = time.Hour
	// MinInterval is the shortest Config.Interval: merging and writing
	// an interval takes a few milliseconds of one core, and every
	// worker's part of it a histogram of about 200 KiB until then.
	MinInterval = 10 * time.Millisecond
	// StartLate is how long after Config.StartAt a run may still begin:
	// clocks of several hosts differ by a little, and a run whose
	// connections open later than this would not line up with the
	// others.
	StartLate = time.Second
	// portsPerSource is how many connections one source address carries
	// before Run spreads connections over more 127.0.0.x addresses; the
	// default ephemeral port range (net.ipv4.ip_local_port_range) holds
	// about 28,000 ports.
	portsPerSource = 20000
)

// Config describes one load generator run. Its zero value sends 64-byte
// raw-framed messages over one TCP connection to 127.0.0.1:9000 in
// ping-pong for DefaultDuration.
type Config struct {
	// Network is "tcp" (the default) or "udp".
	Network string
	// Addr is the server's host:port; empty means 127.0.0.1:9000 for TCP
	// and 127.0.0.1:9001 for UDP.
	Addr string
	// Frame is the framing the server speaks. Messages are sized and
	// delimited for it; with fixed framing every message is
	// Frame.FixedSize bytes.
	Frame frame.Spec
	// Conns is the number of TCP connections or UDP sockets; 0 means 1.
	Conns int
	// Sizes is the distribution of message sizes, each counted as the
	// whole frame on the wire; the zero value means 64 bytes.
	Sizes Sizes
	// Depth is the number of messages in flight per connection in closed
	// loop (1 is ping-pong); 0 means 1. With Rate set it is ignored.
	Depth int
	// Rate, when positive, switches to open loop: this many messages per
	// second in total, spread evenly over connections, each timed from
	// the moment it was due to be sent.
	Rate float64
	// Duration is the measured time; 0 means DefaultDuration.
	Duration time.Duration
	// Warmup runs traffic for this long before measuring; its results are
	// discarded.
	Warmup time.Duration
	// ConnectRate, when positive, opens at most this many connections per
	// second.
	ConnectRate float64
	// Count, when positive, sends exactly this many messages per
	// connection and ends the run when all are echoed; Duration and
	// Warmup are then ignored.
	Count int
	// Workers is the number of OS threads driving connections; 0 means
	// runtime.GOMAXPROCS(0). It is capped at Conns.
	Workers int
	// Timeout is the TCP drain timeout or the UDP loss timeout; 0 means
	// DefaultTCPTimeout or DefaultUDPTimeout.
	Timeout time.Duration
	// Sources are the local addresses connections are spread over. Nil
	// means the kernel's choice, or for more than 20,000 connections to
	// an IPv4 loopback server, as many 127.0.0.x addresses as needed.
	Sources []netip.Addr
	// HoldCPU makes each worker keep its Go scheduler slot (P) while it
	// waits for events, which saves the runtime a thread hand-off per
	// wait: a large share of the client's CPU per message on machines
	// where syscalls are slow. Set it only when the server runs in
	// another process and nothing else in this one needs to run
	// promptly: other goroutines wait up to 10ms for a P.
	HoldCPU bool
	// Hold, when set, is called once every connection is open and, in
	// Count mode, every message is echoed; the connections stay open
	// until it returns. The matrix samples server memory here.
	Hold func(ctx context.Context) error
	// StartAt, when set, is the wall-clock time the traffic begins: Run
	// opens the connections first, then waits for it, so that load
	// generators on several hosts (or in several processes) given the
	// same StartAt measure the same window and their intervals line up.
	// It may lie at most MaxStartWait ahead; a run that is ready more
	// than StartLate after it fails rather than start out of step. A
	// timed run's measurement starts Warmup after StartAt exactly; a
	// Count run's as its traffic starts, a moment after.
	StartAt time.Time
	// Interval, when positive and Intervals is set, cuts the measurement
	// into intervals of this length from its start (the last one ends
	// with the measurement) and hands each interval's latency histogram,
	// merged over the workers, to Intervals.
	Interval time.Duration
	// Intervals, when set with Interval, is called once per interval, in
	// order, from a goroutine of its own; the workers never wait for it.
	// With Count set the last interval ends when the last echo arrives.
	Intervals func(Interval)
	// Window, when set, is called as the measurement starts (end false)
	// and as it ends (end true), from Run's goroutine, right where the
	// client's own CPU is sampled: the matrix samples the server there.
	Window func(end bool)
	// Progress, when set, is called about every ProgressInterval from a
	// goroutine of its own with running totals.
	Progress func(Progress)
	// ProgressInterval is how often Progress is called; 0 means 200ms.
	ProgressInterval time.Duration
}

// Progress is a snapshot of a running load.
type Progress struct {
	// Phase is "connect", "warmup", "measure", "drain" or "hold".
	Phase string
	// Elapsed is the time since the measurement started (negative during
	// connect and warmup).
	Elapsed time.Duration
	// Duration is the planned measurement time (0 in Count mode).
	Duration time.Duration
	// Connected is the number of connections open.
	Connected int
	// Messages is the number of echoes verified in the measurement so far.
	Messages uint64
	// Rate is the messages per second over the last interval.
	Rate float64
}

// normalize fills defaults and validates, returning the message layout.
func (c Config) normalize() (Config, layout, error) {
	switch c.Network {
	case "":
		c.Network = "tcp"
	case "tcp", "udp":
	default:
		return c, layout{}, fmt.Errorf("bench: unknown network %q (want tcp or udp)", c.Network)
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:9000"
		if c.Network == "udp" {
			c.Addr = "127.0.0.1:9001"
		}
	}
	lay, err := newLayout(c.Frame)
	if err != nil {
		return c, lay, err
	}
	lay.tcp = c.Network == "tcp"
	if lay.fixed > 0 && len(c.Sizes.Values) == 0 {
		c.Sizes = Sizes{Values: []int{lay.fixed}}
	}
	c.Sizes = c.Sizes.orDefault()
	if err := c.Sizes.validate(lay); err != nil {
		return c, lay, err
	}
	if c.Frame.Max > 0 && c.Sizes.Max() > c.Frame.Max {
		return c, lay, fmt.Errorf("bench: %d-byte messages exceed the server's max frame of %d", c.Sizes.Max(), c.Frame.Max)
	}
	if c.Conns < 0 || c.Depth < 0 || c.Rate < 0 || c.Count < 0 || c.Workers < 0 || c.ConnectRate < 0 {
		return c, lay, fmt.Errorf("bench: conns, depth, rate, count, workers and connect rate must not be negative")
	}
	if c.Duration < 0 || c.Warmup < 0 || c.Timeout < 0 || c.Interval < 0 {
		return c, lay, fmt.Errorf("bench: durations must not be negative")
	}
	if c.Intervals != nil && c.Interval > 0 && c.Interval < MinInterval {
		return c, lay, fmt.Errorf("bench: interval %v is shorter than %v", c.Interval, MinInterval)
	}
	if err := checkStartAt(c.StartAt, time.Now()); err != nil {
		return c, lay, err
	}
	c.Conns = max(c.Conns, 1)
	c.Depth = max(c.Depth, 1)
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Count > 0 {
		c.Warmup = 0
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	c.Workers = min(c.Workers, c.Conns)
	if c.Timeout == 0 {
		c.Timeout = DefaultTCPTimeout
		if c.Network == "udp" {
			c.Timeout = DefaultUDPTimeout
		}
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = 200 * time.Millisecond
	}
	return c, lay, nil
}

// sources returns the local addresses to spread connections over, or nil
// for the kernel's choice.
func (c Config) sources(server netip.AddrPort) []netip.Addr {
	if c.Sources != nil {
		return c.Sources
	}
	ip := server.Addr()
	if !ip.Is4() || !ip.IsLoopback() || c.Conns <= portsPerSource {
		return nil
	}
	n := (c.Conns + portsPerSource - 1) / portsPerSource
	out := make([]netip.Addr, n)
	for i := range out {
		out[i] = netip.AddrFrom4([4]byte{127, 0, 0, byte(1 + i)})
	}
	return out
}

// checkStartAt refuses a start time more than MaxStartWait after now or
// more than StartLate before it; the zero time means no start time.
func checkStartAt(at, now time.Time) error {
	if at.IsZero() {
		return nil
	}
	switch d := at.Sub(now); {
	case d > MaxStartWait:
		return fmt.Errorf("bench: start time %s is %v away, more than %v", at.Format(time.RFC3339), d.Round(time.Second), MaxStartWait)
	case d < -StartLate:
		return fmt.Errorf("bench: start time %s passed %v ago", at.Format(time.RFC3339), (-d).Round(time.Millisecond))
	}
	return nil
}
