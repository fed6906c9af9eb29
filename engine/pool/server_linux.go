//go:build linux

package pool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/budget"
	"github.com/rawnet/rawnet/engine/internal/reactor"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/internal/cpuset"
	"github.com/rawnet/rawnet/netpoll"
	"github.com/rawnet/rawnet/sockopt"
)

// queueLen is the pool's queue, in jobs. A TCP connection has at most one
// job at a time, so past queueLen connections with frames in flight the
// rest wait in their loops' backlogs, not reading; a datagram that finds
// the queue full is dropped.
const queueLen = 1024

// server adapts a netpoll.Server and its pool of workers to
// engine.Server.
type server struct {
	np     *netpoll.Server
	report sockopt.Report
	udp    bool
	loops  []loopState    // indexed by Loop.Index
	budget *budget.Budget // input for large frames in progress, server-wide
	epoch  time.Time      // connection open times count from here
	pool   *workers
	// socks are UDP workers' own descriptors of the loops' sockets,
	// indexed by Loop.Index (udp_linux.go).
	socks []udpSock
	done  chan struct{} // closed once the loops and the workers have stopped
	// replySubmits counts the Loop.Submit calls that handed TCP replies
	// back to the loops, one per job or one per outbox flush and loop.
	replySubmits atomic.Uint64
}

// loopState is what the engine keeps per loop, padded so that two loops
// never write the same cache line.
type loopState struct {
	stat.Counters
	// conns counts the TCP connections open on this loop.
	conns atomic.Int64
	// backlog holds, oldest first, the jobs that found the pool's queue
	// full; their connections are not read meanwhile. Only the loop
	// touches it.
	backlog []*tcpTask
	// waiting is set while backlog is not empty, and counted in the
	// pool's waiting; kicked while a flush is submitted to the loop.
	waiting, kicked atomic.Bool
	// backlogged counts the jobs that found the queue full.
	backlogged atomic.Uint64
	// loop is the netpoll loop, set by the loop before it first sets
	// waiting, for the workers that submit flush.
	loop  *netpoll.Loop
	flush func()
	_     [64]byte
}

func start(cfg engine.Config, codec frame.Codec) (engine.Server, error) {
	return startQueue(cfg, codec, queueLen)
}

// startQueue starts a server whose pool queues queue jobs.
func startQueue(cfg engine.Config, codec frame.Codec, queue int) (_ *server, err error) {
	s := &server{
		udp:    cfg.IsUDP(),
		loops:  make([]loopState, cfg.Loops),
		budget: budget.New(cfg.InputBudget),
		epoch:  time.Now(),
		done:   make(chan struct{}),
	}
	// Thread workers block their thread in the handler's sleep; a
	// thread-park worker's sleep parks its goroutine, its locked thread
	// waiting in the runtime with it (engine.WorkerThreadPark).
	mode := work.BlockThread
	if cfg.WorkerKind != engine.WorkerThread {
		mode = work.Park
	}
	s.pool = newWorkers(cfg.Workers, cfg.Threads, queue, cfg.WorkerKind != engine.WorkerGoroutine, cfg.ThreadKeepAlive,
		work.NewSource(cfg.Work, cfg.WorkSeed, mode))
	s.pool.freed = s.kick
	s.pool.cpus = cfg.CPUAffinity
	if !s.udp {
		s.pool.newOutbox = s.newOutbox
	}
	for i := range s.loops {
		ls := &s.loops[i]
		ls.flush = func() { s.flushBacklog(ls) }
	}
	balance, err := reactor.Balance(cfg.Balance)
	if err != nil {
		return nil, fmt.Errorf("pool engine: %w", err)
	}
	defer func() {
		if err != nil {
			s.closeSocks()
		}
	}()
	if err := cpuset.Check(cfg.CPUAffinity); err != nil {
		return nil, fmt.Errorf("pool engine: %w", err)
	}
	npcfg := netpoll.Config{
		Loops:        cfg.Loops,
		CPUs:         cfg.CPUAffinity,
		Balance:      balance,
		MaxConns:     cfg.MaxConns,
		IdleTimeout:  cfg.IdleTimeout,
		WriteTimeout: cfg.WriteTimeout,
		WriteLimit:   cfg.WriteLimit,
		ReadBudget:   reactor.ReadBudget,
		ReadShare:    reactor.ReadShare,
		// The codec never leaves a frame of Max bytes unconsumed; the
		// input limit only catches a codec that breaks that contract.
		InputLimit: max(codec.Max(), 1),
		UDPBuffer:  cfg.UDPBuffer,
		Control:    s.control(cfg.Sockopts),
		Logger:     cfg.Logger,
		// The idle timeout also bounds a frame in progress, as
		// engine.Config.IdleTimeout says.
		IdleBoundsPartial: true,
	}
	if s.udp {
		var h *udpHandler
		if h, err = newUDPHandler(s, codec, cfg); err != nil {
			return nil, fmt.Errorf("pool engine: %w", err)
		}
		s.np, err = netpoll.ListenPacket(cfg.Network, cfg.Addr, h, npcfg)
	} else {
		h := &tcpHandler{s: s, codec: codec, log: cfg.Logger, quickAck: cfg.Sockopts.QuickAck,
			reserve: budget.Reservation(codec.Max())}
		s.np, err = netpoll.Listen(cfg.Network, cfg.Addr, h, npcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("pool engine: %w", err)
	}
	go s.watch()
	cfg.Logger.Debug("listening", "engine", "pool", "addr", s.np.Addr().String(),
		"loops", cfg.Loops, "balance", cfg.Balance, "frame", codec.String(),
		"workers", cfg.Workers, "worker_kind", cfg.WorkerKind)
	return s, nil
}

// watch stops the workers once the loops have stopped, whether Shutdown
// or a fatal error stopped them: no job can be pushed any more, the
// workers finish the jobs they hold and the rest, queued or in a loop's
// backlog, are dropped. Then the workers' own UDP descriptors are
// closed, and the server is done.
func (s *server) watch() {
	<-s.np.Done()
	s.pool.close()
	for i := range s.loops {
		for _, t := range s.loops[i].backlog {
			t.drop()
		}
		s.loops[i].backlog = nil
	}
	s.closeSocks()
	close(s.done)
}

// control applies the socket options to each listening or UDP socket
// before bind, and reads back what the first one was granted. TCP
// listeners also get the per-connection options, which accepted sockets
// inherit (inet_csk_clone_lock). netpoll opens the sockets of loops 0, 1,
// ... in that order, so each UDP socket's duplicate for the workers lands
// at its loop's index.
func (s *server) control(opts sockopt.Options) func(fd int) error {
	first := true
	return func(fd int) error {
		if err := opts.ApplyListener(fd); err != nil {
			return err
		}
		if s.udp {
			if err := s.addSock(fd); err != nil {
				return err
			}
		} else if err := opts.ApplyConn(fd); err != nil {
			return err
		}
		if !first {
			return nil
		}
		first = false
		g, err := sockopt.Read(fd)
		if err != nil {
			return err
		}
		s.report = sockopt.NewReport(opts, g)
		return nil
	}
}

// addSock keeps a duplicate of the UDP socket fd for the workers, which
// send the replies themselves (udp_linux.go).
func (s *server) addSock(fd int) error {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	domain, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		unix.Close(dup)
		return os.NewSyscallError("getsockopt", err)
	}
	s.socks = append(s.socks, udpSock{fd: dup, v6: domain == unix.AF_INET6})
	return nil
}

// closeSocks closes the workers' UDP descriptors.
func (s *server) closeSocks() {
	for _, u := range s.socks {
		unix.Close(u.fd)
	}
	s.socks = nil
}

// Addr returns the bound address.
func (s *server) Addr() net.Addr { return s.np.Addr() }

// Sockopts reports the options requested and granted on the listening
// (or first UDP) socket.
func (s *server) Sockopts() sockopt.Report { return s.report }

// Shutdown stops accepting, lets connections drain until ctx is done,
// then closes the rest; it returns ctx.Err() if any had to be cut. It
// returns once the workers have stopped too.
func (s *server) Shutdown(ctx context.Context) error {
	err := s.np.Shutdown(ctx)
	<-s.done
	return err
}

// Done is closed once every loop and every worker has stopped.
func (s *server) Done() <-chan struct{} { return s.done }

// Err returns the error that stopped the server, or nil.
func (s *server) Err() error { return s.np.Err() }

// isInputLimit reports a connection closed because the codec left more
// than its own Max unconsumed.
func isInputLimit(err error) bool { return errors.Is(err, netpoll.ErrInputLimit) }
