package threads

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/backoff"
	"github.com/rawnet/rawnet/engine/internal/ratelimit"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/internal/cpuset"
	"github.com/rawnet/rawnet/internal/rawaddr"
	"github.com/rawnet/rawnet/internal/sysfd"
	"github.com/rawnet/rawnet/sockopt"
)

// udpServer is Config.Loops UDP sockets on one address, each read by one
// thread blocking in recvfrom(2).
type udpServer struct {
	base
	limit   *ratelimit.Limiter // shared by every socket; nil when off
	fds     []int
	wg      sync.WaitGroup
	stopped atomic.Bool   // set before the sockets are shut down
	quit    chan struct{} // closed by Shutdown

	shutdownMu   sync.Mutex
	shutdownDone bool
}

func startUDP(cfg engine.Config, codec frame.Codec) (_ engine.Server, err error) {
	sa, family, dual, err := sockaddr(cfg.Network, cfg.Addr)
	if err != nil {
		return nil, err
	}
	opts := cfg.Sockopts
	if cfg.Loops > 1 {
		// Several sockets share the port only with SO_REUSEPORT, and the
		// kernel then spreads datagrams among them by flow hash
		// (socket(7)).
		opts.ReusePort = true
	}
	// One limiter for every socket: see ratelimit.Limiter for why it is
	// shared rather than one per socket.
	limit, err := ratelimit.ForConfig(cfg)
	if err != nil {
		return nil, err
	}
	s := &udpServer{base: newBase(cfg, codec), limit: limit, quit: make(chan struct{})}
	defer func() {
		if err != nil {
			for _, fd := range s.fds {
				unix.Close(fd)
			}
		}
	}()
	for range cfg.Loops {
		fd, err := openSocket(family, unix.SOCK_DGRAM, sa, dual, opts.ApplyListener)
		if err != nil {
			return nil, err
		}
		s.fds = append(s.fds, fd)
		if len(s.fds) == 1 {
			// Later sockets bind the port the kernel chose for port 0.
			if sa, err = unix.Getsockname(fd); err != nil {
				return nil, os.NewSyscallError("getsockname", err)
			}
			s.addr = rawaddr.NetAddr(cfg.Network, sa)
			g, err := sockopt.Read(fd)
			if err != nil {
				return nil, err
			}
			s.report = sockopt.NewReport(cfg.Sockopts, g)
		}
		if err := setTimeout(fd, unix.SO_SNDTIMEO, cfg.WriteTimeout); err != nil {
			return nil, err
		}
	}
	for i, fd := range s.fds {
		cpu := -1
		if n := len(cfg.CPUAffinity); n > 0 {
			cpu = cfg.CPUAffinity[i%n]
		}
		s.wg.Add(1)
		go s.receive(fd, s.work.Next(), cpu)
	}
	return s, nil
}

// receive echoes every datagram that holds exactly one frame, after w's
// work, on a thread of its own (pinned to cpu unless it is -1), until
// Shutdown.
func (s *udpServer) receive(fd int, w work.Runner, cpu int) {
	// Never unlocked: the thread exits with the goroutine, and its
	// affinity with it.
	runtime.LockOSThread()
	defer s.wg.Done()
	if cpu >= 0 {
		// Start checked the CPU; a failure leaves the thread unpinned
		// rather than the socket unread.
		_ = cpuset.Pin(cpu)
	}
	buf := make([]byte, s.cfg.UDPBuffer)
	var delay time.Duration
	for {
		var n int
		var from unix.Sockaddr
		err := sysfd.Retry(func() error {
			var err error
			// MSG_TRUNC makes recvfrom return the datagram's real
			// length even when it did not fit (udp(7)).
			n, _, _, from, err = unix.Recvmsg(fd, buf, nil, unix.MSG_TRUNC)
			return err
		})
		if err != nil {
			if s.stopped.Load() {
				return
			}
			s.stats.IO.Add(1)
			// A failing socket would otherwise spin this thread.
			delay = backoff.Next(delay)
			s.cfg.Logger.Warn("recvmsg failed", "err", os.NewSyscallError("recvmsg", err), "retry_in", delay)
			if !backoff.Sleep(delay, s.quit) {
				return
			}
			continue
		}
		delay = 0
		if from == nil && s.stopped.Load() {
			return // shutdown(SHUT_RD) woke recvmsg
		}
		s.stats.BytesIn.Add(uint64(min(n, len(buf))))
		if n > len(buf) {
			s.stats.Truncated.Add(1)
			s.cfg.Logger.Debug("datagram truncated; dropped", "len", n, "buffer", len(buf))
			continue
		}
		if s.limit != nil && !s.limit.Allow(sourceAddr(from), s.limit.Now()) {
			// Counted, not logged: under a flood that would be a log
			// line per datagram.
			s.stats.RateLimited.Add(1)
			continue
		}
		d := buf[:n]
		if k, err := frame.One(s.codec, d); err != nil {
			s.stats.FrameErrors.Add(1)
			s.cfg.Logger.Debug("datagram is not one frame; dropped", "len", n, "frame", k, "err", err)
			continue
		}
		w.Frames(1)
		err = sysfd.Retry(func() error { return unix.Sendto(fd, d, 0, from) })
		if err != nil {
			if !s.stopped.Load() || !errors.Is(err, unix.EPIPE) {
				s.stats.IO.Add(1)
				s.stats.Unechoed.Add(1)
				s.cfg.Logger.Debug("sendto failed", "err", os.NewSyscallError("sendto", err))
			}
			continue
		}
		s.stats.Frames.Add(1)
		s.stats.BytesOut.Add(uint64(n))
	}
}

// sourceAddr returns the IP address of a sender as recvmsg reports it,
// or the zero Addr for any other kind of address (which then shares one
// rate limit bucket).
func sourceAddr(sa unix.Sockaddr) netip.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(a.Addr)
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(a.Addr)
	}
	return netip.Addr{}
}

// Shutdown stops receiving: each thread echoes the datagrams already
// queued on its socket and returns. When ctx ends first, the sockets are
// shut for writing too, which fails a blocked sendto at once.
func (s *udpServer) Shutdown(ctx context.Context) error {
	s.shutdownMu.Lock()
	defer s.shutdownMu.Unlock()
	if s.shutdownDone {
		return nil
	}
	s.stopped.Store(true)
	close(s.quit)
	for _, fd := range s.fds {
		shutdownFD(fd, unix.SHUT_RD)
	}
	waited := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(waited)
	}()
	var err error
	select {
	case <-waited:
	case <-ctx.Done():
		err = ctx.Err()
		for _, fd := range s.fds {
			shutdownFD(fd, unix.SHUT_RDWR)
		}
		<-waited
	}
	for _, fd := range s.fds {
		unix.Close(fd)
	}
	s.shutdownDone = true
	s.finish(nil)
	return err
}
