//go:build linux

package netpoll

import (
	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/netpoll/internal/uring"
)

// UDP on the io_uring backend waits for readiness through the ring, with
// a one-shot IORING_OP_POLL_ADD for what udpInterest wants (input while
// reading, room for the pending replies), and then runs the epoll
// backend's udpEvent: batches of recvmmsg and sendmmsg, segmentation
// offload, MSG_TRUNC detection and the handler's rate limits, all
// shared. Waiting costs no system call of its own, since the poll is
// submitted with the round's io_uring_enter, but the datagrams still
// move with one recvmmsg and one sendmmsg per batch: there is no
// multishot recvmsg path yet.

// ringUDPInterest is udpInterest for the io_uring backend: it arms a poll
// for what the socket is wanted for, cancelling one armed for something
// else. The poll's user data carries its mask, so a completion tells
// which poll it ends.
func (l *Loop) ringUDPInterest() {
	u := l.udp
	if l.ring.final {
		return
	}
	var want eventFlags
	switch {
	case u.pending() > 0:
		want = eventWrite
	case u.reading:
		want = eventRead
	}
	if want == u.events {
		return
	}
	if u.events != 0 {
		uring.PrepCancel(l.sqe(), ud(udUDP, u.fd, uint32(u.events)), ud(udCancel, 0, 0))
		u.events = 0
	}
	if want != 0 {
		uring.PrepPoll(l.sqe(), u.fd, uint32(want), ud(udUDP, u.fd, uint32(want)))
		u.events = want
	}
}

// udpReady handles a UDP poll's completion: Res is the ready mask, or
// -ECANCELED for a poll ringUDPInterest replaced.
func (l *Loop) udpReady(cqe *uring.CQE, mask uint32) {
	u := l.udp
	if u == nil {
		return
	}
	if eventFlags(mask) == u.events {
		u.events = 0
	}
	if cqe.Res > 0 {
		l.udpEvent(eventFlags(cqe.Res))
	} else if cqe.Res < 0 && errnoOf(cqe.Res) != unix.ECANCELED {
		l.cfg.Logger.Warn("netpoll: udp poll", "loop", l.idx, "err", wrapSyscall("io_uring poll", errnoOf(cqe.Res)))
	}
	l.ringUDPInterest()
}
