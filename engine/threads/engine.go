package threads

import (
	"fmt"
	"net"
	"runtime/debug"
	"sync"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/internal/cpuset"
	"github.com/rawnet/rawnet/sockopt"
)

// Engine is the thread-per-connection engine. Its zero value is ready to
// use.
type Engine struct{}

// Name returns "threads".
func (Engine) Name() string { return "threads" }

// Start binds the socket(s) cfg describes and starts the acceptor (TCP) or
// the receiving threads (UDP). It returns once the socket is listening.
func (Engine) Start(cfg engine.Config) (engine.Server, error) {
	cfg, codec, err := cfg.Normalize()
	if err != nil {
		return nil, err
	}
	if err := cpuset.Check(cfg.CPUAffinity); err != nil {
		return nil, fmt.Errorf("threads engine: %w", err)
	}
	if cfg.IsUDP() {
		return startUDP(cfg, codec)
	}
	raiseThreadLimit(cfg.Threads)
	return startTCP(cfg, codec)
}

// threadSlack is room for the runtime's own threads (sysmon, GC workers,
// threads blocked in other syscalls) beside the pool.
const threadSlack = 256

// threadLimitMu serialises raising the process-wide thread limit.
var threadLimitMu sync.Mutex

// raiseThreadLimit lifts the Go runtime's thread cap, 10,000 by default
// (runtime/debug.SetMaxThreads), to fit a pool of n locked threads: past
// the cap the runtime kills the whole process rather than fail a call. It
// never lowers the limit another server in the process may rely on.
func raiseThreadLimit(n int) {
	threadLimitMu.Lock()
	defer threadLimitMu.Unlock()
	cur := debug.SetMaxThreads(n + threadSlack)
	if cur > n+threadSlack {
		debug.SetMaxThreads(cur)
	}
}

// base holds what TCP and UDP servers share: configuration, the bound
// address, the socket option report, counters and the stop signal.
type base struct {
	cfg    engine.Config
	codec  frame.Codec
	addr   net.Addr
	report sockopt.Report
	stats  stat.Counters
	// work hands out a Runner per connection or UDP socket; its sleeps
	// block the thread in a system call, as the engine's reads do.
	work *work.Source

	done     chan struct{}
	stopOnce sync.Once
	err      error // written before done is closed
}

func newBase(cfg engine.Config, codec frame.Codec) base {
	return base{cfg: cfg, codec: codec, done: make(chan struct{}),
		work: work.NewSource(cfg.Work, cfg.WorkSeed, work.BlockThread)}
}

// Addr returns the bound address.
func (b *base) Addr() net.Addr { return b.addr }

// Sockopts returns the options requested and granted on the listening (or
// first UDP) socket.
func (b *base) Sockopts() sockopt.Report { return b.report }

// Stats returns a snapshot of the counters.
func (b *base) Stats() engine.Stats {
	if b.cfg.IsUDP() {
		return b.stats.SnapshotUDP()
	}
	return b.stats.Snapshot()
}

// Done is closed once the server has stopped.
func (b *base) Done() <-chan struct{} { return b.done }

// Err returns the fatal error that stopped the server, or nil.
func (b *base) Err() error {
	select {
	case <-b.done:
		return b.err
	default:
		return nil
	}
}

// finish records err and closes done, once.
func (b *base) finish(err error) {
	b.stopOnce.Do(func() {
		b.err = err
		close(b.done)
	})
}
