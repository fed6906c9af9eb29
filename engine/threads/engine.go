package threads

import (
	"net"
	"sync"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
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
	if cfg.IsUDP() {
		return startUDP(cfg, codec)
	}
	return startTCP(cfg, codec)
}

// base holds what TCP and UDP servers share: configuration, the bound
// address, the socket option report, counters and the stop signal.
type base struct {
	cfg    engine.Config
	codec  frame.Codec
	addr   net.Addr
	report sockopt.Report
	stats  engine.Counters

	done     chan struct{}
	stopOnce sync.Once
	err      error // written before done is closed
}

func newBase(cfg engine.Config, codec frame.Codec) base {
	return base{cfg: cfg, codec: codec, done: make(chan struct{})}
}

// Addr returns the bound address.
func (b *base) Addr() net.Addr { return b.addr }

// Sockopts returns the options requested and granted on the listening (or
// first UDP) socket.
func (b *base) Sockopts() sockopt.Report { return b.report }

// Stats returns a snapshot of the counters.
func (b *base) Stats() engine.Stats { return b.stats.Snapshot() }

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
