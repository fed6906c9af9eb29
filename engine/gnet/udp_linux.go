package gnetengine

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
)

// datagram echoes one UDP datagram if it holds exactly one frame and its
// source is within the rate limit. gnet hands each datagram to OnTraffic
// whole, in a read buffer larger than UDPBuffer (see udpBufferHeadroom),
// and Write sends it back to its sender with sendto(2).
//
// The rate limiter is one for the whole server, not one per event loop:
// gnet gives each loop its own SO_REUSEPORT socket, and the kernel
// spreads a source that varies its port over all of them (see
// ratelimit.Limiter).
func (s *server) datagram(c gnet.Conn) gnet.Action {
	d, _ := c.Peek(-1)
	n := len(d)
	s.stats.BytesIn.Add(uint64(n))
	if n > s.cfg.UDPBuffer {
		s.stats.Truncated.Add(1)
		s.cfg.Logger.Debug("datagram over the UDP buffer; dropped", "len", n, "buffer", s.cfg.UDPBuffer)
		return gnet.None
	}
	if s.limit != nil && !s.limit.Allow(sourceAddr(c.RemoteAddr()), s.limit.Now()) {
		// Counted, not logged: under a flood that would be a log line
		// per datagram.
		s.stats.RateLimited.Add(1)
		return gnet.None
	}
	if k, err := frame.One(s.codec, d); err != nil {
		s.stats.FrameErrors.Add(1)
		s.cfg.Logger.Debug("datagram is not one frame; dropped", "len", n, "frame", k, "err", err)
		return gnet.None
	}
	if s.udpWork.src != nil {
		s.udpWork.runner(c.Fd()).Frames(1)
	}
	if _, err := c.Write(d); err != nil {
		s.stats.IO.Add(1)
		s.stats.Unechoed.Add(1)
		s.cfg.Logger.Debug("sendto failed", "remote", c.RemoteAddr().String(), "err", err)
		return gnet.None
	}
	s.stats.Frames.Add(1)
	s.stats.BytesOut.Add(uint64(n))
	return gnet.None
}

// sourceAddr returns the IP address of a datagram's sender. gnet reports
// it as a *net.UDPAddr; anything else yields the zero Addr, which then
// shares one rate limit bucket.
func sourceAddr(a net.Addr) netip.Addr {
	if u, ok := a.(*net.UDPAddr); ok {
		ip, _ := netip.AddrFromSlice(u.IP)
		return ip
	}
	return netip.Addr{}
}

// udpWork keeps a work Runner for each UDP socket, found by its fd. gnet
// hands each datagram to OnTraffic with a connection made for it alone,
// so a Runner cannot live in a connection's context; but each event loop
// reads one socket of its own (SO_REUSEPORT), so the socket's fd names
// the loop, whose goroutine alone uses that Runner.
type udpWork struct {
	src *work.Source // nil when there is no work
	// byFd holds the Runners indexed by fd, copied on write under mu, so
	// that finding one takes no lock.
	byFd atomic.Pointer[[]*work.Runner]
	mu   sync.Mutex
}

// runner returns the Runner of the socket fd, making it on the socket's
// first datagram. There must be work (src not nil).
func (u *udpWork) runner(fd int) *work.Runner {
	if t := u.byFd.Load(); t != nil && fd < len(*t) && (*t)[fd] != nil {
		return (*t)[fd]
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	var old []*work.Runner
	if t := u.byFd.Load(); t != nil {
		old = *t
	}
	if fd < len(old) && old[fd] != nil {
		return old[fd]
	}
	t := make([]*work.Runner, max(len(old), fd+1))
	copy(t, old)
	r := u.src.Next()
	t[fd] = &r
	u.byFd.Store(&t)
	return &r
}
