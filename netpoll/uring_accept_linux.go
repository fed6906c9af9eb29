//go:build linux

package netpoll

import (
	"errors"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/sysfd"
	"github.com/rawnet/rawnet/netpoll/internal/uring"
)

// armAccept arms the listener's multishot accept.
func (l *Loop) armAccept() {
	if l.ring.final || l.ring.acceptArmed || l.ln == nil || l.ln.pausedUntil != 0 {
		return
	}
	uring.PrepAcceptMultishot(l.sqe(), l.ln.fd, ud(udAccept, l.ln.fd, 0))
	l.ring.acceptArmed = true
}

// cancelAccept cancels the listener's accept, if armed.
func (l *Loop) cancelAccept() {
	if l.ring.final || !l.ring.acceptArmed || l.ln == nil {
		return
	}
	uring.PrepCancel(l.sqe(), ud(udAccept, l.ln.fd, 0), ud(udCancel, 0, 0))
}

// accepted handles an accept's completion: a new connection, admitted as
// the epoll backend's accept admits it, or an error, handled as there:
// running out of descriptors pauses the listener (exhausted), which
// re-arms it after acceptPause.
//
// An error ends a multishot accept (no IORING_CQE_F_MORE), so a shortage
// costs no completions while the listener rests. The kernel takes the
// new connection's descriptor number before it looks at the listen
// queue (io_accept in io_uring/net.c), so an accept re-armed while the
// table is still full fails with EMFILE at once, peer queued or not:
// the shortage is retried, and counted, every acceptPause, and peers
// queued meanwhile are shed by the retry that finds it has lasted
// shedAfter, as on epoll.
func (l *Loop) accepted(cqe *uring.CQE, more bool) {
	if !more {
		l.ring.acceptArmed = false
	}
	if cqe.Res >= 0 {
		fd := int(cqe.Res)
		if l.ln == nil {
			// Accepted as the listener was being closed for Shutdown.
			_ = closeFD(fd)
			return
		}
		l.ln.exhaustedSince = 0
		l.admit(fd, l.peerAddr(fd))
	} else {
		switch err := errnoOf(cqe.Res); err {
		case unix.ECANCELED:
			return
		case unix.ECONNABORTED:
			// The peer reset a connection while it was queued
			// (accept(2)); the next one may be fine.
		case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
			l.stats.acceptErrors.Add(1)
			if l.ln != nil {
				l.exhausted(err)
			}
			return
		default:
			l.stats.acceptErrors.Add(1)
			l.cfg.Logger.Warn("netpoll: accept", "loop", l.idx, "err", wrapSyscall("accept", err))
			if l.ln != nil {
				l.pauseAccept()
			}
			return
		}
	}
	if !more {
		l.armAccept()
	}
}

// peerAddr returns fd's peer address. A multishot accept cannot report
// it: every completion would write the one address buffer the request
// was given, so it is asked for afterwards with getpeername(2).
func (l *Loop) peerAddr(fd int) netip.AddrPort {
	p := unsafe.Pointer(&l.rsa)
	_, err := sysfd.RetryRaw(func() (uintptr, unix.Errno) {
		n := uint32(unix.SizeofSockaddrAny)
		np := unsafe.Pointer(&n)
		r, _, e := unix.RawSyscall(unix.SYS_GETPEERNAME, uintptr(fd), uintptr(p), uintptr(np))
		return r, e
	})
	if err != nil {
		return netip.AddrPort{}
	}
	return addrPort(&l.rsa)
}

// errUringConnect is Loop.Connect's answer on the io_uring backend, which
// has no connect path yet.
var errUringConnect = errors.New("netpoll: Loop.Connect is not available on the io_uring backend")
