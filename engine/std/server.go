package std

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/budget"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/sockopt"
)

// drainQuiet is how long a connection may stay silent after Shutdown before
// it is deemed drained and closed.
const drainQuiet = 200 * time.Millisecond

// Engine is the goroutine-per-connection engine. Its zero value is ready to
// use.
type Engine struct{}

// Name returns "std".
func (Engine) Name() string { return "std" }

// Start binds the socket(s) cfg describes and serves them until Shutdown.
func (Engine) Start(cfg engine.Config) (engine.Server, error) {
	cfg, codec, err := cfg.Normalize()
	if err != nil {
		return nil, err
	}
	if len(cfg.CPUAffinity) > 0 {
		// A connection's goroutine runs on whatever thread the runtime
		// gives it.
		return nil, fmt.Errorf("std engine: %w", engine.ErrNoAffinity)
	}
	s := &server{
		cfg:     cfg,
		codec:   codec,
		work:    work.NewSource(cfg.Work, cfg.WorkSeed, work.Park),
		conns:   make(map[*net.TCPConn]struct{}),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		budget:  budget.New(cfg.InputBudget),
	}
	s.forced, s.force = context.WithCancel(context.Background())
	if cfg.IsUDP() {
		err = s.startUDP()
	} else {
		err = s.startTCP()
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// server is one running instance. The fields above mu are set by Start and
// read-only afterwards.
type server struct {
	cfg    engine.Config
	codec  frame.Codec
	work   *work.Source // a Runner per connection or UDP socket
	addr   net.Addr
	report sockopt.Report
	ln     *net.TCPListener
	udp    []*net.UDPConn
	stats  stat.Counters
	budget *budget.Budget // input beyond maxReadBuf per connection, server-wide
	turns  *turns         // where a TCP connection waits for its next turn

	// forced is cancelled when Shutdown gives up on draining, to end
	// connections waiting for budget; force cancels it.
	forced context.Context
	force  context.CancelFunc

	// wg counts the accept loop, connection goroutines and UDP readers.
	wg sync.WaitGroup

	mu    sync.Mutex
	conns map[*net.TCPConn]struct{} // open TCP connections, under mu

	// draining is set once by Shutdown; connection goroutines read it
	// after arming their own read deadline, so either they see it or
	// Shutdown's deadline overrides theirs.
	draining     atomic.Bool
	closing      chan struct{} // closed by Shutdown to stop the accept backoff
	shutdownOnce sync.Once
	done         chan struct{} // closed once every goroutine has returned
}

// Addr returns the bound address.
func (s *server) Addr() net.Addr { return s.addr }

// Sockopts returns the options requested and granted on the listening (or
// first UDP) socket.
func (s *server) Sockopts() sockopt.Report { return s.report }

// Stats returns a snapshot of the counters and of the input budget.
func (s *server) Stats() engine.Stats {
	if s.cfg.IsUDP() {
		return s.stats.SnapshotUDP()
	}
	st := s.stats.Snapshot()
	st.InputBudget = int64(s.budget.Size())
	st.InputBudgetUsed = int64(s.budget.Size() - s.budget.Free())
	return st
}

// Done is closed once Shutdown has finished.
func (s *server) Done() <-chan struct{} { return s.done }

// Err returns nil: accept and read errors are counted and retried, so
// nothing but Shutdown stops the server.
func (s *server) Err() error { return nil }

// Shutdown stops accepting, lets connections drain until ctx is done, then
// closes the rest and returns ctx.Err() if there were any.
func (s *server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(s.beginShutdown)
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
	}
	// Connections that drained in the same instant do not count as forced.
	select {
	case <-s.done:
		return nil
	default:
	}
	s.mu.Lock()
	forced := len(s.conns) > 0
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.force()
	<-s.done
	if !forced {
		return nil
	}
	return ctx.Err()
}

// beginShutdown closes the listening sockets and switches every open
// connection to draining.
func (s *server) beginShutdown() {
	s.mu.Lock()
	s.draining.Store(true)
	close(s.closing)
	if s.ln != nil {
		s.ln.Close()
	}
	for _, u := range s.udp {
		u.Close()
	}
	deadline := time.Now().Add(drainQuiet)
	for c := range s.conns {
		c.SetReadDeadline(deadline)
	}
	s.mu.Unlock()
	go func() {
		s.wg.Wait()
		if s.turns != nil {
			s.turns.close()
		}
		s.force()
		s.cfg.Logger.Debug("server stopped", "addr", s.addr.String())
		close(s.done)
	}()
}

// track registers an accepted connection, or reports false when Shutdown
// has begun and the connection must be closed instead.
func (s *server) track(c *net.TCPConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	s.stats.Active.Add(1)
	s.wg.Add(1)
	return true
}

// untrack forgets a connection whose goroutine is about to return.
func (s *server) untrack(c *net.TCPConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.stats.Active.Add(-1)
}
