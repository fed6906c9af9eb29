package bench

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpBatch holds the headers and buffers for moving several datagrams per
// system call with recvmmsg(2) and sendmmsg(2). x/sys/unix defines
// Mmsghdr but neither call.
type udpBatch struct {
	rmsgs []unix.Mmsghdr
	riov  []unix.Iovec
	rbufs [][]byte
	smsgs []unix.Mmsghdr
	siov  []unix.Iovec
	sbufs [][]byte
}

// newUDPBatch prepares readBatch receive slots one byte larger than the
// largest message, so that a longer datagram shows up as truncated rather
// than passing as a match, and readBatch send slots of the largest
// message.
func newUDPBatch(largest int) *udpBatch {
	b := &udpBatch{
		rmsgs: make([]unix.Mmsghdr, readBatch),
		riov:  make([]unix.Iovec, readBatch),
		rbufs: make([][]byte, readBatch),
		smsgs: make([]unix.Mmsghdr, readBatch),
		siov:  make([]unix.Iovec, readBatch),
		sbufs: make([][]byte, readBatch),
	}
	for i := range readBatch {
		b.rbufs[i] = make([]byte, largest+1)
		b.sbufs[i] = make([]byte, largest)
		b.riov[i].Base = &b.rbufs[i][0]
		b.riov[i].SetLen(len(b.rbufs[i]))
		b.rmsgs[i].Hdr.Iov = &b.riov[i]
		b.rmsgs[i].Hdr.SetIovlen(1)
		b.siov[i].Base = &b.sbufs[i][0]
		b.smsgs[i].Hdr.Iov = &b.siov[i]
		b.smsgs[i].Hdr.SetIovlen(1)
	}
	return b
}

// recv reads up to readBatch datagrams from the connected socket fd.
func (b *udpBatch) recv(fd int) (int, syscall.Errno) {
	for i := range b.rmsgs {
		b.rmsgs[i].Hdr.Flags = 0
	}
	return rawMmsg(unix.SYS_RECVMMSG, fd, b.rmsgs)
}

// datagram returns the i-th datagram of the last recv and whether the
// kernel truncated it (MSG_TRUNC in msg_flags, recvmsg(2)).
func (b *udpBatch) datagram(i int) ([]byte, bool) {
	return b.rbufs[i][:b.rmsgs[i].Len], b.rmsgs[i].Hdr.Flags&unix.MSG_TRUNC != 0
}

// send writes the first n send slots, slot i holding size[i] bytes, on the
// connected socket fd, and returns how many the kernel took: sendmmsg(2)
// stops at the first datagram that would block.
func (b *udpBatch) send(fd int, sizes []int) (int, syscall.Errno) {
	for i, size := range sizes {
		b.siov[i].SetLen(size)
	}
	return rawMmsg(unix.SYS_SENDMMSG, fd, b.smsgs[:len(sizes)])
}

// rawMmsg runs recvmmsg or sendmmsg (trap) over msgs on a non-blocking
// socket, retrying EINTR. The fifth argument, recvmmsg's timeout, is NULL:
// its semantics are broken (recvmmsg(2), BUGS) and the socket does not
// block anyway.
func rawMmsg(trap uintptr, fd int, msgs []unix.Mmsghdr) (int, syscall.Errno) {
	for {
		n, _, e := unix.RawSyscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(msgs))), uintptr(len(msgs)), unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			return int(n), 0
		case unix.EINTR:
		default:
			return 0, e
		}
	}
}
