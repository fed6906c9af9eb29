//go:build linux

package netpoll

import (
	"encoding/binary"
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
//
// When accept fails with EMFILE or ENFILE the pending connection stays
// queued and, the listener being level-triggered, epoll would report it
// again at once: the loop would spin. So the listener first rests for
// acceptPause, as nginx does, and a short shortage costs the queued peers
// only a delay: they are served once descriptors are back. If the
// shortage lasts shedAfter, the reserve descriptor (spare, open on
// /dev/null) is closed to accept what is queued and close it at once, so
// those peers get a prompt FIN instead of waiting out their connect
// timeouts; then the reserve is reopened. This is libuv's
// uv__emfile_trick.
type listener struct {
	fd             int
	spare          int   // reserve descriptor, or -1 when it could not be reopened
	pausedUntil    int64 // loop time to resume accepting, 0 when accepting
	exhaustedSince int64 // loop time of the first failure of a shortage, 0 if none
	lastLog        int64 // loop time of the last fd-exhaustion warning
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
				l.exhausted(err)
			default:
				l.stats.acceptErrors.Add(1)
				l.cfg.Logger.Warn("netpoll: accept", "loop", l.idx, "err", wrapSyscall("accept4", err))
				l.pauseAccept()
			}
			return
		}
		l.ln.exhaustedSince = 0
		l.admit(fd, addrPort(&l.rsa))
	}
}

// admit counts an accepted connection and hands it to the loop the
// balance policy picks, or closes it at once past Config.MaxConns.
func (l *Loop) admit(fd int, addr netip.AddrPort) {
	l.stats.accepted.Add(1)
	if n := l.srv.active.Add(1); l.cfg.MaxConns > 0 && n > int64(l.cfg.MaxConns) {
		l.srv.active.Add(-1)
		l.stats.rejected.Add(1)
		_ = closeFD(fd)
		return
	}
	target := l.srv.pick(l)
	target.load.Add(1)
	if target == l {
		l.open(fd, addr)
	} else if !target.handoff(fd, addr) {
		target.load.Add(-1)
		l.srv.active.Add(-1)
	}
}

// exhausted handles a failed accept for want of descriptors: it pauses
// the listener and, once the shortage has lasted shedAfter, sheds the
// queued connections with the reserve descriptor (see listener).
func (l *Loop) exhausted(cause error) {
	ln := l.ln
	if ln.exhaustedSince == 0 {
		ln.exhaustedSince = max(l.now, 1)
	}
	if ln.lastLog == 0 || l.now-ln.lastLog >= int64(time.Second) {
		ln.lastLog = max(l.now, 1)
		l.cfg.Logger.Warn("netpoll: out of file descriptors; pausing accept",
			"loop", l.idx, "err", wrapSyscall("accept4", cause))
	}
	if l.now-ln.exhaustedSince >= int64(shedAfter) && ln.spare >= 0 {
		_ = closeFD(ln.spare)
		ln.spare = -1
		for range acceptBatch {
			fd, err := accept4FD(ln.fd, &l.rsa)
			if err != nil {
				break
			}
			_ = closeFD(fd)
		}
		ln.spare = openSpare()
	}
	l.pauseAccept()
}

// shedAfter is how long a descriptor shortage lasts before queued
// connections are shed. It is a variable so that tests can shorten it.
var shedAfter = time.Second

// pauseAccept stops watching the listener for acceptPause.
func (l *Loop) pauseAccept() {
	if l.ring != nil {
		l.cancelAccept()
	} else if err := l.poller.mod(l.ln.fd, 0, 0); err != nil {
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
	if l.ring != nil {
		if l.unpark() {
			// Connections accepted past the limit still wait for
			// room: rest again, as a retried accept4 would fail.
			l.pauseAccept()
			return
		}
		l.armAccept()
	} else if err := l.poller.mod(l.ln.fd, 0, eventRead); err != nil {
		l.cfg.Logger.Error("netpoll: resume listener", "loop", l.idx, "err", err)
	}
}

// stopAccepting closes the loop's listener.
func (l *Loop) stopAccepting() {
	if l.ln == nil {
		return
	}
	if l.ring != nil {
		l.cancelAccept()
		l.closeParked()
	} else {
		_ = l.poller.del(l.ln.fd)
	}
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

// ntohs reads a port the kernel stored in network byte order: it lays
// the field's bytes out as they sit in memory and reads them big-endian.
func ntohs(port uint16) uint16 {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], port)
	return binary.BigEndian.Uint16(b[:])
}
