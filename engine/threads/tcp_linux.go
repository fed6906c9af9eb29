package threads

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/backoff"
	"github.com/rawnet/rawnet/engine/internal/budget"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/internal/rawaddr"
	"github.com/rawnet/rawnet/internal/sysfd"
	"github.com/rawnet/rawnet/sockopt"
)

// listenBacklog is the accept queue length asked of listen(2); the kernel
// caps it at net.core.somaxconn. Connections over the pool bound wait here.
const listenBacklog = 4096

// tcpServer is a listening socket, its acceptor thread and the pool of
// connection threads.
type tcpServer struct {
	base
	lfd  int
	pool *pool

	quit       chan struct{} // closed when shutdown begins
	acceptDone chan struct{} // closed when the acceptor has returned

	// mu guards conns and the drain flags. conns holds every fd a worker
	// is serving; only that worker closes it, after removing it here, so
	// Shutdown never calls shutdown(2) on a closed or reused fd.
	mu       sync.Mutex
	conns    map[int]struct{}
	draining atomic.Bool   // set under mu: connections are being drained
	forced   atomic.Bool   // set under mu: connections are being forced shut
	drained  chan struct{} // closed when conns empties while draining

	// budget bounds the input buffered for large frames in progress;
	// forcedCtx, cancelled by force when Shutdown forces connections
	// shut, ends the waits for it.
	budget    *budget.Budget
	forcedCtx context.Context
	force     context.CancelFunc

	shutdownMu   sync.Mutex
	shutdownDone bool
}

func startTCP(cfg engine.Config, codec frame.Codec) (engine.Server, error) {
	sa, family, dual, err := sockaddr(cfg.Network, cfg.Addr)
	if err != nil {
		return nil, err
	}
	lfd, err := openSocket(family, unix.SOCK_STREAM, sa, dual, cfg.Sockopts.ApplyListener)
	if err != nil {
		return nil, err
	}
	s := &tcpServer{
		base:       newBase(cfg, codec),
		lfd:        lfd,
		quit:       make(chan struct{}),
		acceptDone: make(chan struct{}),
		conns:      make(map[int]struct{}),
		drained:    make(chan struct{}),
		budget:     budget.New(cfg.InputBudget),
	}
	s.forcedCtx, s.force = context.WithCancel(context.Background())
	if err := s.listen(); err != nil {
		unix.Close(lfd)
		return nil, err
	}
	s.pool = newPool(cfg.Threads, cfg.ThreadKeepAlive, cfg.CPUAffinity, s.serve)
	go s.acceptLoop()
	return s, nil
}

// listen starts listening and records the bound address and options.
func (s *tcpServer) listen() error {
	// Linux clones an accepted socket from its listener, TCP_NODELAY and
	// keepalive included (inet_csk_clone_lock), so the per-connection
	// options go on the listener too and the report shows what
	// connections get; serve sets them again on each connection.
	if err := s.cfg.Sockopts.ApplyConn(s.lfd); err != nil {
		return err
	}
	if err := unix.Listen(s.lfd, listenBacklog); err != nil {
		return os.NewSyscallError("listen", err)
	}
	sa, err := unix.Getsockname(s.lfd)
	if err != nil {
		return os.NewSyscallError("getsockname", err)
	}
	s.addr = rawaddr.NetAddr(s.cfg.Network, sa)
	g, err := sockopt.Read(s.lfd)
	if err != nil {
		return err
	}
	s.report = sockopt.NewReport(s.cfg.Sockopts, g)
	return nil
}

// acceptLoop accepts a connection whenever the pool has a free worker, on
// a thread of its own, until quit is closed or accept fails for good.
func (s *tcpServer) acceptLoop() {
	runtime.LockOSThread()
	defer close(s.acceptDone)
	var delay time.Duration
	for s.pool.acquire(s.quit) {
		fd, err := s.accept()
		if err == nil {
			delay = 0
			s.admit(fd)
			continue
		}
		s.pool.release()
		select {
		case <-s.quit:
			return // shutdown(SHUT_RD) on the listener woke accept
		default:
		}
		s.stats.Accept.Add(1)
		switch {
		case retryAtOnce(err):
		case resourceShortage(err):
			s.stats.EMFILE.Add(1)
			// Retrying at once would spin while the shortage lasts.
			delay = backoff.Next(delay)
			s.cfg.Logger.Warn("accept failed; backing off", "err", err, "retry_in", delay)
			if !backoff.Sleep(delay, s.quit) {
				return
			}
		default:
			s.cfg.Logger.Error("accept failed; stopping", "err", err)
			go s.fail(err)
			return
		}
	}
}

// accept returns a blocking connected socket.
func (s *tcpServer) accept() (int, error) {
	var fd int
	err := sysfd.Retry(func() error {
		var err error
		// No SOCK_NONBLOCK: the connection's thread blocks on it.
		fd, _, err = unix.Accept4(s.lfd, unix.SOCK_CLOEXEC)
		return err
	})
	if err != nil {
		return -1, os.NewSyscallError("accept4", err)
	}
	return fd, nil
}

// retryAtOnce reports errors after which accept may be called again at
// once: a connection reset while queued, and the network errors accept(2)
// says to treat like EAGAIN because Linux passes pending errors of the new
// socket to accept.
func retryAtOnce(err error) bool {
	for _, e := range []unix.Errno{unix.ECONNABORTED, unix.EPROTO, unix.ENETDOWN,
		unix.ENOPROTOOPT, unix.EHOSTDOWN, unix.ENONET, unix.EHOSTUNREACH,
		unix.EOPNOTSUPP, unix.ENETUNREACH, unix.EPERM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// resourceShortage reports errors that last until a resource is freed:
// out of file descriptors or kernel memory.
func resourceShortage(err error) bool {
	return errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) ||
		errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.ENOMEM)
}

// admit registers an accepted fd and hands it to a worker, or closes it at
// once when MaxConns connections are open. The caller holds a pool slot.
func (s *tcpServer) admit(fd int) {
	s.stats.Accepted.Add(1)
	s.mu.Lock()
	if s.cfg.MaxConns > 0 && len(s.conns) >= s.cfg.MaxConns {
		s.mu.Unlock()
		s.stats.Rejected.Add(1)
		unix.Close(fd)
		s.pool.release()
		return
	}
	// The acceptor has returned before Shutdown starts draining, so a
	// connection registered here is always seen by the drain.
	s.conns[fd] = struct{}{}
	s.stats.Active.Add(1)
	s.mu.Unlock()
	s.pool.dispatch(fd)
}

// release removes fd from the registry; the caller closes it afterwards.
func (s *tcpServer) release(fd int) {
	s.mu.Lock()
	delete(s.conns, fd)
	s.stats.Active.Add(-1)
	if s.draining.Load() && len(s.conns) == 0 {
		close(s.drained)
		s.drained = nil
	}
	s.mu.Unlock()
}

// isDraining reports whether Shutdown has begun draining connections.
func (s *tcpServer) isDraining() bool { return s.draining.Load() }

// isForced reports whether Shutdown is forcing connections closed.
func (s *tcpServer) isForced() bool { return s.forced.Load() }

// Shutdown stops accepting, lets connections echo what they already sent
// until ctx is done, then closes whatever remains.
func (s *tcpServer) Shutdown(ctx context.Context) error {
	return s.shutdown(ctx, nil)
}

// fail stops the server after a fatal accept error, closing every
// connection at once; Err reports fatal.
func (s *tcpServer) fail(fatal error) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.shutdown(ctx, fatal)
}

// shutdown runs stop once; later calls wait for it and return nil, as
// they force nothing closed.
func (s *tcpServer) shutdown(ctx context.Context, fatal error) error {
	s.shutdownMu.Lock()
	defer s.shutdownMu.Unlock()
	if s.shutdownDone {
		return nil
	}
	err := s.stop(ctx)
	s.shutdownDone = true
	s.finish(fatal)
	return err
}

// stop runs the shutdown sequence: wake and stop the acceptor, let
// connections drain, force the rest when ctx is done, stop the pool.
func (s *tcpServer) stop(ctx context.Context) error {
	close(s.quit)
	// On Linux shutdown(SHUT_RD) on a listening socket makes a blocked
	// accept return EINVAL; closing the fd would not wake it and could
	// let a new socket reuse the number under the acceptor.
	shutdownFD(s.lfd, unix.SHUT_RD)
	<-s.acceptDone

	s.mu.Lock()
	s.draining.Store(true)
	drained := s.drained
	if len(s.conns) == 0 {
		close(drained)
		s.drained = nil
	}
	for fd := range s.conns {
		// Read returns the bytes already received, then 0: each worker
		// echoes what its peer sent and ends the connection.
		shutdownFD(fd, unix.SHUT_RD)
	}
	s.mu.Unlock()

	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		s.forced.Store(true)
		s.force()
		for fd := range s.conns {
			// Fails a blocked write with EPIPE and ends reads at once.
			shutdownFD(fd, unix.SHUT_RDWR)
		}
		s.mu.Unlock()
		<-drained
	}
	s.pool.close()
	s.force()
	unix.Close(s.lfd)
	return err
}
