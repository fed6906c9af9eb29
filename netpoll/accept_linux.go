//go:build linux

package netpoll

import (
	"errors"
	"net/netip"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	// acceptBatch bounds the accepts per readiness event, so that a
	// connection storm does not starve the loop's connections.
	acceptBatch = 64
	// acceptPause is how long a listener rests when the process is out
	// of descriptors and the reserve descriptor is gone too.
	acceptPause = 100 * time.Millisecond
)

// listener is a listening socket and its reserve descriptor.
type listener struct {
	fd int
	// spare is a descriptor on /dev/null held in reserve for fd
	// exhaustion, or -1. When accept fails with EMFILE the pending
	// connection stays queued and, the listener being level-triggered,
	// epoll reports it again at once: the loop would spin. Closing the
	// spare frees one descriptor to accept the connection and close it,
	// so the peer gets a prompt FIN instead of a hang; then the spare is
	// reopened. libuv (uv__emfile_trick) and nginx do the same.
	spare       int
	pausedUntil int64 // loop time to resume accepting, 0 when accepting
	lastLog     int64 // loop time of the last fd-exhaustion warning
}

func newListener(fd int) *listener {
	return &listener{fd: fd, spare: openSpare()}
}

func openSpare() int {
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
}

func (ln *listener) close() error {
	err := errors.Join(closeFD(ln.fd), closeFD(ln.spare))
	ln.fd, ln.spare = -1, -1
	return err
}

// accept takes up to acceptBatch pending connections off the loop's
// listener and hands each to the loop the balance policy picks.
func (l *Loop) accept() {
	for range acceptBatch {
		fd, err := accept4FD(l.ln.fd, &l.rsa)
		if err != nil {
			switch err {
			case unix.EAGAIN:
			case unix.ECONNABORTED:
				// The peer reset a connection while it was queued
				// (accept(2)); the next one may be fine.
				continue
			case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
				l.stats.acceptErrors.Add(1)
				l.shed(err)
			default:
				l.stats.acceptErrors.Add(1)
				l.cfg.Logger.Warn("netpoll: accept", "loop", l.idx, "err", wrapSyscall("accept4", err))
				l.pauseAccept()
			}
			return
		}
		l.stats.accepted.Add(1)
		if n := l.srv.active.Add(1); l.cfg.MaxConns > 0 && n > int64(l.cfg.MaxConns) {
			l.srv.active.Add(-1)
			l.stats.rejected.Add(1)
			_ = closeFD(fd)
			continue
		}
		addr := addrPort(&l.rsa)
		target := l.srv.pick(l)
		target.load.Add(1)
		if target == l {
			l.open(fd, addr)
		} else if !target.handoff(fd, addr) {
			target.load.Add(-1)
			l.srv.active.Add(-1)
		}
	}
}

// shed handles descriptor exhaustion with the reserve descriptor: it
// frees it, accepts and closes what is queued, and takes it back. With no
// reserve left it pauses the listener instead, so the loop never spins.
func (l *Loop) shed(cause error) {
	ln := l.ln
	if l.now-ln.lastLog >= int64(time.Second) || ln.lastLog == 0 {
		ln.lastLog = l.now
		l.cfg.Logger.Warn("netpoll: out of file descriptors; shedding connections",
			"loop", l.idx, "err", wrapSyscall("accept4", cause))
	}
	if ln.spare < 0 {
		l.pauseAccept()
		return
	}
	_ = closeFD(ln.spare)
	ln.spare = -1
	for range acceptBatch {
		fd, err := accept4FD(ln.fd, &l.rsa)
		if err != nil {
			break
		}
		_ = closeFD(fd)
	}
	if ln.spare = openSpare(); ln.spare < 0 {
		l.pauseAccept()
	}
}

// pauseAccept stops watching the listener for acceptPause.
func (l *Loop) pauseAccept() {
	if err := l.poller.Mod(l.ln.fd, 0, 0); err != nil {
		l.cfg.Logger.Error("netpoll: pause listener", "loop", l.idx, "err", err)
	}
	l.ln.pausedUntil = l.now + int64(acceptPause)
}

// resumeAccept watches the listener again and retries the reserve.
func (l *Loop) resumeAccept() {
	l.ln.pausedUntil = 0
	if l.ln.spare < 0 {
		l.ln.spare = openSpare()
	}
	if err := l.poller.Mod(l.ln.fd, 0, EventRead); err != nil {
		l.cfg.Logger.Error("netpoll: resume listener", "loop", l.idx, "err", err)
	}
}

// stopAccepting closes the loop's listener.
func (l *Loop) stopAccepting() {
	if l.ln == nil {
		return
	}
	_ = l.poller.Del(l.ln.fd)
	if err := l.ln.close(); err != nil {
		l.cfg.Logger.Warn("netpoll: close listener", "loop", l.idx, "err", err)
	}
	l.ln = nil
}

// addrPort converts a socket address filled in by the kernel without
// allocating. IPv4-mapped IPv6 peers of a dual-stack socket come back as
// IPv4. The IPv6 scope ID is dropped: naming its zone would allocate.
func addrPort(rsa *unix.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), ntohs(sa.Port))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), ntohs(sa.Port))
	}
	return netip.AddrPort{}
}

// ntohs reads a port stored in network byte order.
func ntohs(port uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&port))
	return uint16(b[0])<<8 | uint16(b[1])
}
