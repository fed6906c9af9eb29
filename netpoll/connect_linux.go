//go:build linux

package netpoll

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// Connect starts a TCP connection to addr, owned by l and served by the
// server's Handler like an accepted one, so that a program such as a
// forwarder can pair an accepted connection with an outgoing one on the
// same loop, with no locking between them. It must be called on l's
// goroutine: from a callback or a function given to Submit.
//
// Connect returns as soon as a non-blocking connect(2) is under way, with
// the new Conn already carrying ctx as its context. Once the connection
// is established the loop calls OnOpen for it, and from then on it is
// like any other. If the attempt fails, or Config.ConnectTimeout passes
// first, OnClose is called instead, without OnOpen, with the
// *os.SyscallError of connect (ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH...)
// or ErrConnectTimeout. Until then the Conn's Close, CloseWithError and
// Abort give up the attempt; Write returns ErrClosed. An error returned
// by Connect itself (EMFILE, ENETUNREACH, an invalid address...) means no
// connection was made and no callback will run.
func (l *Loop) Connect(addr netip.AddrPort, ctx any) (*Conn, error) {
	if l.ring != nil {
		return nil, errUringConnect
	}
	if !addr.IsValid() {
		return nil, wrapSyscall("connect", unix.EINVAL)
	}
	domain := unix.AF_INET6
	var sa unix.Sockaddr
	if a := addr.Addr().Unmap(); a.Is4() {
		domain = unix.AF_INET
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: a.As4()}
	} else {
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: a.As16()}
	}
	fd, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, wrapSyscall("socket", err)
	}
	// A non-blocking connect returns EINPROGRESS and finishes in the
	// background; the socket then turns writable, and SO_ERROR says how it
	// went (connect(2), EINPROGRESS). EINTR leaves it in progress just the
	// same. A connect that completes at once is finished by the same
	// writable event, so OnOpen never runs inside Connect.
	if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS && err != unix.EINTR {
		_ = closeFD(fd)
		return nil, wrapSyscall("connect", err)
	}
	l.gen++
	if l.gen == 0 {
		l.gen = 1
	}
	c := &Conn{loop: l, fd: int32(fd), gen: l.gen, hidx: -1, lastActive: l.now, ctx: ctx,
		addr: addr.Addr().As16(), port: addr.Port(), state: stateConnecting}
	if err := l.poller.add(fd, c.gen, eventWrite); err != nil {
		_ = closeFD(fd)
		return nil, err
	}
	c.events = eventWrite
	for fd >= len(l.conns) {
		l.conns = append(l.conns[:cap(l.conns)], nil)
	}
	l.conns[fd] = c
	l.nconns++
	l.stats.active.Add(1)
	l.load.Add(1)
	l.srv.active.Add(1)
	l.armTimer(c)
	return c, nil
}

// connected finishes a connect that turned writable: OnOpen if it
// succeeded, a failure otherwise.
func (l *Loop) connected(c *Conn) {
	soerr, err := unix.GetsockoptInt(int(c.fd), unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && soerr != 0 {
		err = unix.Errno(soerr)
	}
	if err != nil {
		l.fail(c, "connect", err)
		return
	}
	c.state = stateOpen
	c.lastActive = l.now
	l.updateInterest(c)
	l.armTimer(c)
	l.callOpen(c)
}
