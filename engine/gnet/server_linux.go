package gnetengine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/ratelimit"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/internal/rawaddr"
	"github.com/rawnet/rawnet/sockopt"
)

// errStoppedItself is the Err of a server whose gnet engine stopped without
// Shutdown. gnet ends every event loop when accept(2) fails, EMFILE
// included (acceptor_unix.go returns errors.ErrAcceptSocket, which ends
// Poller.Polling), and gnet.Run then returns nil.
var errStoppedItself = errors.New("gnet: the engine stopped by itself (gnet stops every event loop " +
	"when accept fails, e.g. with EMFILE; see the log)")

// start runs gnet on the address cfg describes and returns once every
// event loop is serving.
func start(cfg engine.Config) (engine.Server, error) {
	cfg, codec, err := cfg.Normalize()
	if err != nil {
		return nil, err
	}
	if len(cfg.CPUAffinity) > 0 {
		// gnet's loops are goroutines on the runtime's threads.
		return nil, fmt.Errorf("gnet engine: %w", engine.ErrNoAffinity)
	}
	s := &server{
		cfg:     cfg,
		codec:   codec,
		conns:   make(map[*conn]struct{}),
		flushes: make(map[*flush]struct{}),
		ready:   make(chan struct{}),
		ran:     make(chan struct{}),
		done:    make(chan struct{}),
		drained: make(chan struct{}),
		work:    work.NewSource(cfg.Work, cfg.WorkSeed, work.Park),
	}
	if !cfg.Work.IsZero() {
		s.udpWork.src = s.work
	}
	s.clock.Store(time.Now().UnixNano())
	if s.limit, err = ratelimit.ForConfig(cfg); err != nil {
		return nil, err
	}
	opts, err := gnetOptions(cfg, &slogLogger{l: cfg.Logger})
	if err != nil {
		return nil, err
	}
	addr := cfg.Addr
	if reusePortMode(cfg) && cfg.Loops > 1 {
		if addr, s.reserved, err = reserve(cfg.Network, cfg.Addr); err != nil {
			return nil, err
		}
	}
	go s.run(cfg.Network+"://"+addr, opts)
	select {
	case <-s.ready:
		return s, nil
	case <-s.ran:
		s.reserved.release()
		if s.runErr == nil {
			s.runErr = errStoppedItself
		}
		return nil, s.runErr
	}
}

// server is one running gnet engine and the state the adapter keeps to
// give it the limits gnet lacks.
type server struct {
	gnet.BuiltinEventEngine

	cfg      engine.Config
	codec    frame.Codec
	stats    stat.Counters
	reserved *reservation
	limit    *ratelimit.Limiter // UDP only, shared by every loop; nil when off
	// work hands out a Runner per TCP connection; udpWork keeps one per
	// UDP socket. Event loops are goroutines, so sleeps park
	// (work.Park): the loop serves none of its connections meanwhile.
	work    *work.Source
	udpWork udpWork

	// Set in OnBoot, before ready is closed.
	eng       gnet.Engine
	addr      net.Addr
	report    sockopt.Report
	bootErr   error
	ready     chan struct{} // closed by the first OnTick: every loop is serving
	readyOnce sync.Once

	ran    chan struct{} // closed when gnet.Run has returned
	runErr error         // gnet.Run's result, written before ran is closed

	clock      atomic.Int64 // wall time in ns, refreshed by OnTick
	draining   atomic.Bool  // Shutdown has begun
	drainStart atomic.Int64 // s.clock when Shutdown began
	forced     atomic.Bool  // Shutdown's context ended: no more flushing

	mu      sync.Mutex
	conns   map[*conn]struct{}  // open TCP connections
	drained chan struct{}       // closed when conns is empty while draining
	flushes map[*flush]struct{} // close-time flushes still holding a dup fd

	stopMu  sync.Mutex // serialises Shutdown
	stopped bool

	done       chan struct{}
	finishOnce sync.Once
	err        error // written before done is closed
}

// run runs gnet until it stops. If gnet stops after Start has returned
// and before Shutdown, the server is done with errStoppedItself.
func (s *server) run(protoAddr string, opts []gnet.Option) {
	err := gnet.Run(s, protoAddr, opts...)
	s.releaseFlushes()
	if err == nil {
		err = s.bootErr
	}
	s.runErr = err
	close(s.ran)
	select {
	case <-s.ready:
	default:
		return // Start reports runErr
	}
	if !s.draining.Load() {
		if err == nil {
			err = errStoppedItself
		}
		s.cfg.Logger.Error("gnet engine stopped", "err", err)
		s.finish(err)
	}
}

// OnBoot records the engine and reads the bound address and socket
// options from a duplicate of the listening socket.
func (s *server) OnBoot(eng gnet.Engine) gnet.Action {
	s.eng = eng
	fd, err := eng.Dup()
	if err != nil {
		s.bootErr = err
		return gnet.Shutdown
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		s.bootErr = os.NewSyscallError("getsockname", err)
		return gnet.Shutdown
	}
	s.addr = rawaddr.NetAddr(s.cfg.Network, sa)
	g, err := sockopt.Read(fd)
	if err != nil {
		s.bootErr = err
		return gnet.Shutdown
	}
	s.report = sockopt.NewReport(s.cfg.Sockopts, g)
	return gnet.None
}

// Addr returns the bound address.
func (s *server) Addr() net.Addr { return s.addr }

// Sockopts returns the options requested and granted on the first
// listening socket.
func (s *server) Sockopts() sockopt.Report { return s.report }

// Stats returns a snapshot of the counters. Output queued is what each
// connection had queued in gnet at its last event or tick check (gnet
// says nothing when queued output drains, so the tick looks). gnet stops on EMFILE and reads
// without an input budget (ENGINES.md), so those fields are unknown.
func (s *server) Stats() engine.Stats {
	if s.cfg.IsUDP() {
		st := s.stats.SnapshotUDP()
		st.Unknown = engine.UnknownEMFILE | engine.UnknownInputBudget
		return st
	}
	st := s.stats.Snapshot()
	st.Unknown = engine.UnknownEMFILE | engine.UnknownInputBudget
	s.mu.Lock()
	for c := range s.conns {
		st.OutputQueued += c.queued.Load()
	}
	s.mu.Unlock()
	return st
}

// Done is closed once the server has stopped.
func (s *server) Done() <-chan struct{} { return s.done }

// Err returns why gnet stopped by itself, or nil.
func (s *server) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// finish records err and closes done, once.
func (s *server) finish(err error) {
	s.finishOnce.Do(func() {
		s.err = err
		close(s.done)
	})
}

// Shutdown lets connections drain until ctx is done, then stops gnet.
// gnet cannot stop accepting while its loops run, so while draining a new
// connection is accepted and closed at once. A connection is drained once
// its output is sent and it has been quiet for drainQuiet.
func (s *server) Shutdown(ctx context.Context) error {
	s.stopMu.Lock()
	defer s.stopMu.Unlock()
	if s.stopped {
		return nil // a later call forces nothing closed
	}
	s.drainStart.Store(time.Now().UnixNano())
	s.mu.Lock()
	s.draining.Store(true)
	if len(s.conns) == 0 {
		s.closeDrained()
	}
	s.mu.Unlock()
	var err error
	select {
	case <-s.drained:
	case <-s.ran:
	case <-ctx.Done():
		err = ctx.Err()
		s.forced.Store(true)
	}
	// Stop with a done context only asks gnet to stop: Engine.Stop polls
	// for the end every 500 ms (shutdownPollInterval in gnet.go), so wait
	// for Run to return instead.
	stopNow, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.eng.Stop(stopNow)
	<-s.ran
	s.reserved.release()
	s.stopped = true
	s.finish(s.runErr)
	return err
}

// closeDrained closes drained once; s.mu must be held.
func (s *server) closeDrained() {
	select {
	case <-s.drained:
	default:
		close(s.drained)
	}
}
