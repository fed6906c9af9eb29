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

// armAccept arms the listener's accept: a multishot one, or a single one
// while the server is at Config.MaxConns.
//
// Why single at the limit: a multishot accept takes a descriptor for
// every connection queued when it runs, before the loop can close the
// ones MaxConns turns away, and under a descriptor limit with fewer
// spare descriptors than the burst it fails with EMFILE part-way, where
// accept4(2) on epoll accepts and closes one at a time and never runs
// short. At the limit every connection is closed at once, so accepting
// one at a time costs nothing a multishot accept would save.
func (l *Loop) armAccept() {
	if l.ring.final || l.ring.acceptArmed || l.ln == nil || l.ln.pausedUntil != 0 {
		return
	}
	l.ring.acceptOne = l.atMaxConns()
	if l.ring.acceptOne {
		uring.PrepAccept(l.sqe(), l.ln.fd, ud(udAccept, l.ln.fd, 0))
	} else {
		uring.PrepAcceptMultishot(l.sqe(), l.ln.fd, ud(udAccept, l.ln.fd, 0))
	}
	l.ring.acceptArmed = true
}

// acceptOneAtLimit cancels an armed multishot accept once the server is
// at Config.MaxConns, to be re-armed as a single one (armAccept) when
// the cancellation completes.
func (l *Loop) acceptOneAtLimit() {
	rl := l.ring
	if rl.acceptArmed && !rl.acceptOne && !rl.rearmOne && l.atMaxConns() {
		rl.rearmOne = true
		l.cancelAccept()
	}
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
	// rearm: this completion ends the multishot accept acceptOneAtLimit
	// cancelled; whatever ended it, the cancellation is spent.
	rearm := !more && l.ring.rearmOne
	if !more {
		l.ring.acceptArmed, l.ring.rearmOne = false, false
	}
	if cqe.Res >= 0 {
		fd := int(cqe.Res)
		if l.ln == nil {
			// Accepted as the listener was being closed for Shutdown.
			_ = closeFD(fd)
			return
		}
		// A connection Config.MaxConns turns away is closed whatever
		// its number, as accept-and-close does on epoll: a burst the
		// kernel accepted in one go may number past the limit.
		if l.overLimit(fd) && !l.atMaxConns() {
			l.parkAccepted(fd)
			return
		}
		l.ln.exhaustedSince = 0
		l.admit(fd, l.peerAddr(fd))
		l.acceptOneAtLimit()
	} else {
		switch err := errnoOf(cqe.Res); err {
		case unix.ECANCELED:
			if rearm {
				l.armAccept()
			}
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

// overLimit reports whether fd is at or past the soft RLIMIT_NOFILE in
// force now, read once per round that accepts. A multishot accept copies
// the limit when it is armed (io_accept_prep in io_uring/net.c keeps
// rlimit(RLIMIT_NOFILE) in accept->nofile) and checks new descriptors
// against that copy, so after prlimit(2) lowers the limit under a
// running server the armed accept goes on handing out descriptors past
// it, where accept4(2) would fail with EMFILE. The descriptor number
// tells: the kernel gives the lowest free one, so one at or past the
// limit means none below it was free.
func (l *Loop) overLimit(fd int) bool {
	rl := l.ring
	if rl.nofileAt != l.now {
		var lim unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			return false
		}
		rl.nofile, rl.nofileAt = lim.Cur, l.now
	}
	return uint64(fd) >= rl.nofile
}

// atMaxConns reports whether admit would turn a new connection away.
func (l *Loop) atMaxConns() bool {
	return l.cfg.MaxConns > 0 && l.srv.active.Load() >= int64(l.cfg.MaxConns)
}

// maxParked bounds the connections a loop holds aside past the
// descriptor limit (parkAccepted); more are closed at once, as a full listen
// queue refuses them.
const maxParked = 64

// parkAccepted holds fd, accepted past the descriptor limit in force now
// (overLimit), aside where accept4(2) would have left it in the listen
// queue: the accept counts as failed with EMFILE, which pauses the
// listener (its cancellation may land after a few more such completions,
// each parked alike). resumeAccept admits it once the limit has room for
// its number, and closes it once the shortage has lasted shedAfter, as
// the queue is shed.
func (l *Loop) parkAccepted(fd int) {
	rl := l.ring
	if len(rl.parked) < maxParked {
		rl.parked = append(rl.parked, fd)
	} else {
		_ = closeFD(fd)
	}
	l.stats.acceptErrors.Add(1)
	l.exhausted(unix.EMFILE)
}

// unpark admits the parked connections the descriptor limit now has room
// for, closes the rest once the shortage has lasted shedAfter, and
// reports whether any still wait.
func (l *Loop) unpark() bool {
	rl := l.ring
	if len(rl.parked) == 0 {
		return false
	}
	rl.nofileAt = 0 // read the limit again
	shed := l.now-l.ln.exhaustedSince >= int64(shedAfter)
	kept := rl.parked[:0]
	for _, fd := range rl.parked {
		switch {
		case !l.overLimit(fd):
			l.admit(fd, l.peerAddr(fd))
		case shed:
			_ = closeFD(fd)
		default:
			kept = append(kept, fd)
		}
	}
	rl.parked = kept
	return len(kept) > 0
}

// closeParked closes the parked connections, when the listener closes.
func (l *Loop) closeParked() {
	for _, fd := range l.ring.parked {
		_ = closeFD(fd)
	}
	l.ring.parked = l.ring.parked[:0]
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
