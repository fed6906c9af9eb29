package relay

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"time"

	"github.com/rawnet/rawnet/netpoll"
	"github.com/rawnet/rawnet/sockopt"
)

// Balance says how a relay picks the upstream of a new pair.
type Balance uint8

// Balance policies. The zero value is RoundRobin.
const (
	// RoundRobin takes the upstreams in turn.
	RoundRobin Balance = iota
	// LeastConn takes the upstream with the fewest open pairs, the first
	// listed on a tie.
	LeastConn
)

// String returns "roundrobin" or "leastconn".
func (b Balance) String() string {
	if b == LeastConn {
		return "leastconn"
	}
	return "roundrobin"
}

// ParseBalance maps "roundrobin" or "leastconn" to a Balance.
func ParseBalance(s string) (Balance, error) {
	switch s {
	case "roundrobin", "":
		return RoundRobin, nil
	case "leastconn":
		return LeastConn, nil
	}
	return 0, fmt.Errorf("relay: balance %q is not roundrobin or leastconn", s)
}

// Path says how a relay moves a direction's bytes.
type Path uint8

// Data paths. The zero value is PathAuto.
const (
	// PathAuto copies through the loop's buffer while a direction's
	// reads are small and splices while they are large: a read of at
	// least autoBulk bytes switches the direction to splice, and
	// autoSmall splices in a row that moved under autoTiny bytes each
	// switch it back. Small messages cost two splices and a pipe where
	// copying costs one recv and one send; large ones cost copies that
	// splice saves (docs/perf/relay/README.md has the figures).
	PathAuto Path = iota
	// PathSplice always moves bytes socket → pipe → socket with
	// splice(2).
	PathSplice
	// PathCopy always copies through the loop's buffer.
	PathCopy
)

// String returns "auto", "splice" or "copy".
func (p Path) String() string {
	switch p {
	case PathSplice:
		return "splice"
	case PathCopy:
		return "copy"
	}
	return "auto"
}

// Config is what a Relay is started with. Its zero value, once Addr and
// Upstreams are set, chooses between splice and copying by the size of
// the reads (PathAuto), with one loop per CPU, no limits and no
// timeouts.
type Config struct {
	// Addr is the host:port to listen on; port 0 picks a free one.
	Addr string
	// Upstreams are the host:port addresses pairs connect to, resolved
	// once by Start.
	Upstreams []string
	// Balance picks an upstream per pair.
	Balance Balance
	// Path chooses the data path. Where the kernel cannot splice a
	// socket into a pipe (Start checks once) every path copies.
	Path Path
	// PipeSize, when positive, sets the capacity of every pipe with
	// F_SETPIPE_SZ (fcntl(2)); the kernel rounds it up to a power of two
	// pages and refuses more than /proc/sys/fs/pipe-max-size to an
	// unprivileged process. 0 keeps the kernel's default, 16 pages, and
	// lets bulk directions grow theirs (PipeGrowMax); a size set here is
	// every pipe's, and none grows.
	PipeSize int
	// PipeGrowMax bounds the pipes grown for bulk transfers, in bytes of
	// capacity, every loop's together, lent or pooled. A direction that
	// splices, fills its pipe and finds more bytes right behind (a
	// transfer larger than the pipe) is lent, from its next
	// read on, a pipe grown with F_SETPIPE_SZ to 1 MiB (or
	// fs.pipe-max-size, if smaller) while the bound allows, and one of
	// the default size when it does not; a 1 MiB message then takes one
	// splice pair instead of sixteen. It stays a bulk direction until its
	// reads turn small (PathAuto's rule for copying again). A grown pipe
	// a direction gives back waits in its loop's pool for the next bulk
	// read, two at most per loop; past that it is shrunk back to the
	// default and its pages leave the budget.
	//
	// 0 picks a quarter of /proc/sys/fs/pipe-user-pages-soft, read at
	// Start (16 MiB with the default 16384 pages; the same where the
	// file is missing or 0), for every process, privileged or not: the
	// kernel counts each pipe's capacity against its user's quota, and
	// once the user is over that limit makes an unprivileged process's
	// new pipes 2 pages (pipe(7)), so growing never takes more than a
	// quarter of it. Negative never grows. Ignored when PipeSize is set.
	PipeGrowMax int
	// ConnectTimeout bounds how long the connection to an upstream may
	// take; 0 leaves it to the kernel's SYN retries.
	ConnectTimeout time.Duration
	// IdleTimeout closes a pair whose sides have both moved no byte for
	// this long; 0 disables it.
	IdleTimeout time.Duration
	// MaxConns bounds open pairs; a client over the limit is accepted
	// and closed at once. 0 means no limit.
	MaxConns int
	// Loops is the number of event loops; 0 means one per CPU.
	Loops int
	// CPUs pins loop i to CPUs[i % len(CPUs)] (netpoll.Config.CPUs).
	CPUs []int
	// Wait says how an idle loop waits (netpoll.Config.Wait): the zero
	// value parks it on the Go runtime's poller, which suits a relay
	// embedded in a program with other goroutines; netpoll.WaitSyscall
	// sleeps in epoll_wait, cheaper per wake-up for a process that runs
	// nothing but the relay.
	Wait netpoll.Wait
	// HoldShortWaits, with Wait set to netpoll.WaitSyscall, holds a
	// loop's first millisecond of every wait as Go code rather than as a
	// system call sysmon may retake the P from
	// (netpoll.Config.HoldShortWaits): cheaper for a process that runs
	// nothing but the relay, whose loops wait once per message when a
	// connection ping-pongs.
	HoldShortWaits bool
	// Sockopts are applied to the listener (buffer sizes, address reuse)
	// and to both sides of every pair (TCP_NODELAY, keepalive...).
	Sockopts sockopt.Options
	// DrainQuiet is how long, once Shutdown has begun, a side of a pair
	// may stay quiet before it is closed; 0 means netpoll's default.
	DrainQuiet time.Duration
	// Logger receives upstream failures and netpoll's own errors; nil
	// discards them.
	Logger *slog.Logger
}

// upstreams resolves cfg.Upstreams.
func (cfg *Config) upstreams() ([]*upstream, error) {
	if len(cfg.Upstreams) == 0 {
		return nil, errors.New("relay: no upstream")
	}
	ups := make([]*upstream, 0, len(cfg.Upstreams))
	for _, s := range cfg.Upstreams {
		ta, err := net.ResolveTCPAddr("tcp", s)
		if err != nil {
			return nil, fmt.Errorf("relay: upstream %q: %w", s, err)
		}
		ap := ta.AddrPort()
		if !ap.Addr().IsValid() || ap.Addr().IsUnspecified() || ap.Port() == 0 {
			return nil, fmt.Errorf("relay: upstream %q: want a host and a port", s)
		}
		ups = append(ups, &upstream{name: s, addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())})
	}
	return ups, nil
}

// loops returns the number of loops cfg asks for.
func (cfg *Config) loops() int {
	if cfg.Loops > 0 {
		return cfg.Loops
	}
	return runtime.NumCPU()
}
