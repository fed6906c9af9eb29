//go:build linux

package netpoll

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/cpuset"
)

// Server is a running set of loops serving one TCP listener (or one
// SO_REUSEPORT group of them) or one UDP port.
type Server struct {
	cfg       Config
	loops     []*Loop
	acceptors []*Loop // loops that own a listener
	addr      net.Addr
	epoch     time.Time

	// active counts open TCP connections across loops, for MaxConns.
	active atomic.Int64
	// next is the round-robin cursor; only the accepting loop uses it.
	next int

	running atomic.Int32 // loops still running; the last closes done
	done    chan struct{}
	errMu   sync.Mutex
	err     error

	drainOnce, stopOnce sync.Once
	acceptLeft          atomic.Int32
	drainLeft           atomic.Int32
	drained             chan struct{}
}

// Listen starts a TCP server on network ("tcp", "tcp4" or "tcp6") and
// address, calling h for every connection. It returns once the listening
// sockets are bound, so clients may connect to Addr at once.
func Listen(network, address string, h Handler, cfg Config) (*Server, error) {
	if h == nil {
		return nil, errors.New("netpoll: nil Handler")
	}
	s, ep, err := prepare("Listen", "tcp", network, address, cfg)
	if err != nil {
		return nil, err
	}
	reuse := s.cfg.Balance == ReusePort
	s.acceptors = s.loops[:1]
	if reuse {
		s.acceptors = s.loops
	}
	err = s.bindLoops(s.acceptors, ep, unix.SOCK_STREAM, reuse, func(l *Loop, fd int) { l.ln = newListener(fd) })
	if err != nil {
		return nil, err
	}
	raw, _ := h.(RawHandler)
	for _, l := range s.loops {
		l.handler = h
		l.raw = raw
	}
	s.start()
	return s, nil
}

// ListenPacket starts a UDP server on network ("udp", "udp4" or "udp6")
// and address with one SO_REUSEPORT socket per loop, calling h for every
// datagram.
func ListenPacket(network, address string, h PacketHandler, cfg Config) (*Server, error) {
	if h == nil {
		return nil, errors.New("netpoll: nil PacketHandler")
	}
	s, ep, err := prepare("ListenPacket", "udp", network, address, cfg)
	if err != nil {
		return nil, err
	}
	err = s.bindLoops(s.loops, ep, unix.SOCK_DGRAM, len(s.loops) > 1, func(l *Loop, fd int) {
		l.udp = newUDPSocket(fd, &s.cfg)
		l.packets = h
	})
	if err != nil {
		return nil, err
	}
	s.start()
	return s, nil
}

// prepare checks that network is of kind ("tcp" or "udp"), resolves
// address and creates the server and its loops; fn names the caller in
// errors.
func prepare(fn, kind, network, address string, cfg Config) (*Server, endpoint, error) {
	if !strings.HasPrefix(network, kind) {
		return nil, endpoint{}, fmt.Errorf("netpoll: %s wants a %s network, not %q", fn, kind, network)
	}
	ep, err := resolve(network, address)
	if err != nil {
		return nil, endpoint{}, err
	}
	s, err := newServer(cfg)
	return s, ep, err
}

// bindLoops opens a socket of type sotype bound to ep for each of loops,
// gives it to attach and registers it with that loop's poller. The first
// socket's port is read back and used for the others, so a request for
// port 0 puts the whole SO_REUSEPORT group (reuse) on one port. On error
// everything the server opened is released.
func (s *Server) bindLoops(loops []*Loop, ep endpoint, sotype int, reuse bool, attach func(l *Loop, fd int)) error {
	for i, l := range loops {
		fd, err := socket(ep, sotype, reuse, &s.cfg)
		if err != nil {
			return s.abort(err)
		}
		attach(l, fd)
		if i == 0 {
			var port int
			if s.addr, port, err = localAddr(fd, sotype == unix.SOCK_STREAM); err != nil {
				return s.abort(err)
			}
			ep = ep.withPort(port)
		}
		if l.ring != nil {
			continue // the loop arms an accept on its ring
		}
		if err := l.poller.add(fd, 0, eventRead); err != nil {
			return s.abort(err)
		}
	}
	return nil
}

func newServer(cfg Config) (*Server, error) {
	if err := cpuset.Check(cfg.CPUs); err != nil {
		return nil, fmt.Errorf("netpoll: %w", err)
	}
	s := &Server{
		cfg:     cfg.normalize(),
		epoch:   time.Now(),
		done:    make(chan struct{}),
		drained: make(chan struct{}),
	}
	for i := range s.cfg.Loops {
		l, err := newLoop(s, i)
		if err != nil {
			return nil, s.abort(err)
		}
		s.loops = append(s.loops, l)
	}
	return s, nil
}

// abort releases what a failed Listen created and returns err.
func (s *Server) abort(err error) error {
	for _, l := range s.loops {
		if l.ln != nil {
			_ = l.ln.close()
		}
		if l.udp != nil {
			_ = l.udp.close()
		}
		_ = l.poller.close()
		if l.ring != nil {
			_ = l.ring.close()
		}
	}
	return err
}

func (s *Server) start() {
	s.running.Store(int32(len(s.loops)))
	for _, l := range s.loops {
		go s.serve(l)
	}
}

// serve runs one loop, on an OS thread of its own if Config.LockThreads
// says so (see there for what that changes).
func (s *Server) serve(l *Loop) {
	switch {
	case len(s.cfg.CPUs) > 0:
		// Never unlocked: the pinned thread exits with the loop rather
		// than run other goroutines on the loop's CPU alone.
		runtime.LockOSThread()
		if err := cpuset.Pin(s.cfg.CPUs[l.idx%len(s.cfg.CPUs)]); err != nil {
			s.fail(fmt.Errorf("netpoll: loop %d: %w", l.idx, err))
		}
	case s.cfg.LockThreads || s.cfg.Backend == BackendUring:
		// A ring's single issuer is a thread (uring_linux.go).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	if err := l.run(); err != nil {
		s.fail(fmt.Errorf("netpoll: loop %d: %w", l.idx, err))
	}
	if err := l.shutdown(); err != nil {
		s.cfg.Logger.Warn("netpoll: release loop", "loop", l.idx, "err", err)
	}
	if s.running.Add(-1) == 0 {
		close(s.done)
	}
}

// fail records a fatal error and stops every loop.
func (s *Server) fail(err error) {
	s.errMu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.errMu.Unlock()
	s.cfg.Logger.Error("netpoll: server stopped", "err", err)
	s.stop()
}

// stop makes every loop exit after its current round.
func (s *Server) stop() {
	s.stopOnce.Do(func() {
		for _, l := range s.loops {
			_ = l.Submit(func() { l.exiting = true })
		}
	})
}

// Shutdown stops accepting (or reading datagrams) and lets every
// connection finish: it is served until its peer has sent nothing for
// Config.DrainQuiet, then its pending output is flushed and it is closed
// with ErrServerClosed. Once all
// connections are gone, or ctx is done, the loops stop and release every
// descriptor. It returns ctx.Err() if connections had to be cut, nil
// otherwise. It is safe to call more than once and from any goroutine but
// a loop's own: it waits for the loops, so calling it from a callback
// would wait for itself; submit it to a goroutine of its own instead.
func (s *Server) Shutdown(ctx context.Context) error {
	s.drainOnce.Do(s.beginDrain)
	select {
	case <-s.drained:
	case <-s.done:
		return nil
	case <-ctx.Done():
		// Connections that drained in the same instant were not cut.
		select {
		case <-s.drained:
		default:
			s.stop()
			<-s.done
			return ctx.Err()
		}
	}
	s.stop()
	<-s.done
	return nil
}

// beginDrain closes the listeners first and only then asks every loop to
// drain, so that no loop reports drained while a connection accepted
// before the listener closed is still on its way to it.
func (s *Server) beginDrain() {
	s.drainLeft.Store(int32(len(s.loops)))
	if len(s.acceptors) == 0 {
		s.drainAll()
		return
	}
	s.acceptLeft.Store(int32(len(s.acceptors)))
	for _, l := range s.acceptors {
		err := l.Submit(func() {
			l.stopAccepting()
			if s.acceptLeft.Add(-1) == 0 {
				s.drainAll()
			}
		})
		if err != nil && s.acceptLeft.Add(-1) == 0 {
			s.drainAll()
		}
	}
}

func (s *Server) drainAll() {
	for _, l := range s.loops {
		if err := l.Submit(l.beginDrain); err != nil {
			s.loopDrained()
		}
	}
}

func (s *Server) loopDrained() {
	if s.drainLeft.Add(-1) == 0 {
		close(s.drained)
	}
}

// pick returns the loop a connection accepted by from goes to.
func (s *Server) pick(from *Loop) *Loop {
	switch s.cfg.Balance {
	case ReusePort:
		return from
	case LeastConn:
		best, least := from, from.load.Load()
		for _, l := range s.loops {
			if n := l.load.Load(); n < least {
				best, least = l, n
			}
		}
		return best
	default:
		l := s.loops[s.next]
		s.next = (s.next + 1) % len(s.loops)
		return l
	}
}

// Addr returns the bound address, with the port the kernel chose for
// port 0: a *net.TCPAddr or a *net.UDPAddr.
func (s *Server) Addr() net.Addr { return s.addr }

// Loops returns a copy of the server's list of loops, so that work can be
// submitted to each of them, for example to reach every connection.
func (s *Server) Loops() []*Loop { return append([]*Loop(nil), s.loops...) }

// Stats sums the loops' counters. It may be called from any goroutine.
func (s *Server) Stats() Stats {
	var st Stats
	for _, l := range s.loops {
		l.stats.addTo(&st)
	}
	return st
}

// Done is closed once every loop has stopped and released its
// descriptors, after Shutdown or a fatal error.
func (s *Server) Done() <-chan struct{} { return s.done }

// Err returns the error that stopped the server, or nil after a
// Shutdown. It is meaningful once Done is closed.
func (s *Server) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}
