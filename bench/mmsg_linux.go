package bench

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/sysfd"

	"github.com/rawnet/rawnet/internal/udpgso"
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
	// With UDP segmentation offload (UDP_SEGMENT, udp(7)) a run of
	// datagrams of one size goes out as one message, cut apart by the
	// kernel after one pass down the stack, so the load generator spends
	// no more per datagram than the fastest server it measures (see
	// internal/udpgso for the limits). counts[k] is how
	// many datagrams send message k carries; cmsgs holds its control
	// message.
	gso    bool
	counts []int
	cmsgs  []byte
}

// newUDPBatch prepares readBatch receive slots one byte larger than the
// largest message, so that a longer datagram shows up as truncated rather
// than passing as a match, and readBatch send slots of the largest
// message.
func newUDPBatch(largest int, gso bool) *udpBatch {
	b := &udpBatch{
		rmsgs:  make([]unix.Mmsghdr, readBatch),
		riov:   make([]unix.Iovec, readBatch),
		rbufs:  make([][]byte, readBatch),
		smsgs:  make([]unix.Mmsghdr, readBatch),
		siov:   make([]unix.Iovec, readBatch),
		sbufs:  make([][]byte, readBatch),
		gso:    gso,
		counts: make([]int, readBatch),
		cmsgs:  make([]byte, readBatch*udpgso.ControlSpace),
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

// send writes the first len(sizes) send slots, slot i holding sizes[i]
// bytes, on the connected socket fd, and returns how many datagrams the
// kernel took: sendmmsg(2) stops at the first message that would block.
// If the kernel refuses segmentation, send turns it off and sends the
// slots one datagram per message.
func (b *udpBatch) send(fd int, sizes []int) (int, syscall.Errno) {
	for {
		k := b.pack(sizes)
		n, errno := rawMmsg(unix.SYS_SENDMMSG, fd, b.smsgs[:k])
		if errno != 0 && b.counts[0] > 1 && udpgso.Refused(errno) {
			b.gso = false
			continue
		}
		sent := 0
		for _, c := range b.counts[:n] {
			sent += c
		}
		return sent, errno
	}
}

// pack fills one send message per run of equal sizes (with GSO) or per
// slot (without) and returns the number of messages.
func (b *udpBatch) pack(sizes []int) int {
	k := 0
	for i := 0; i < len(sizes); k++ {
		count, total := 1, sizes[i]
		for b.gso && sizes[i] <= udpgso.MaxSegment && i+count < len(sizes) && count < udpgso.MaxSegments &&
			sizes[i+count] == sizes[i] && total+sizes[i] <= udpgso.MaxBytes {
			total += sizes[i]
			count++
		}
		for c := range count {
			b.siov[i+c].SetLen(sizes[i+c])
		}
		h := &b.smsgs[k].Hdr
		h.Iov = &b.siov[i]
		h.SetIovlen(count)
		udpgso.SetControl(h, b.cmsgs[k*udpgso.ControlSpace:(k+1)*udpgso.ControlSpace], count, sizes[i])
		b.counts[k] = count
		i += count
	}
	return k
}

// rawMmsg runs recvmmsg or sendmmsg (trap) over msgs on a non-blocking
// socket, retrying EINTR. The fifth argument, recvmmsg's timeout, is NULL:
// its semantics are broken (recvmmsg(2), BUGS) and the socket does not
// block anyway.
func rawMmsg(trap uintptr, fd int, msgs []unix.Mmsghdr) (int, syscall.Errno) {
	ptr := unsafe.Pointer(unsafe.SliceData(msgs))
	n, e := sysfd.RetryErrno(func() (uintptr, unix.Errno) {
		n, _, e := unix.RawSyscall6(trap, uintptr(fd), uintptr(ptr), uintptr(len(msgs)), unix.MSG_DONTWAIT, 0, 0)
		return n, e
	})
	if e != 0 {
		return 0, e
	}
	return int(n), 0
}
