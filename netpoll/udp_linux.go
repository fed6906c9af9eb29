//go:build linux

package netpoll

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/udpgso"
)

// UDP moves datagrams in batches with recvmmsg(2) and sendmmsg(2): one
// system call per batch instead of one per datagram. golang.org/x/sys/unix
// defines the Mmsghdr type but no function for either call (batch I/O for
// the standard library is golang.org/issue/45886; x/net/ipv4 wraps them
// internally), so they are issued with unix.Syscall6 over our own arrays.

// udpRounds bounds the recvmmsg batches per readiness event, like the
// TCP read budget.
const udpRounds = 4

// udpSocket is one loop's UDP socket with its batch arrays, all allocated
// once: slot i of every array describes the i-th datagram of a batch.
type udpSocket struct {
	fd    int
	size  int                   // bytes per slot
	arena []byte                // batch × size receive buffers
	names []unix.RawSockaddrAny // senders, filled by recvmmsg
	iovs  []unix.Iovec
	msgs  []unix.Mmsghdr

	// Replies wait here until the batch that produced them is handled,
	// then go out with sendmmsg. While any are pending the socket is not
	// read, so the receive slots they point into stay intact.
	replies []reply
	sent    int    // replies[:sent] are done
	extra   []byte // copies of reply payloads that are not in arena
	siovs   []unix.Iovec
	smsgs   []unix.Mmsghdr
	// counts[k] is how many replies send header k carries; cmsgs holds
	// one UDP_SEGMENT control message per header (udpgso_linux.go).
	counts []int
	cmsgs  []byte
	gso    bool // the kernel takes UDP_SEGMENT and has not refused it
	// gsoRuns counts the messages that carried more than one datagram.
	gsoRuns uint64

	// filled is the number of slots the last recvmmsg filled.
	filled int

	reading bool // false once the server drains
	events  eventFlags
	pkt     Packet
}

// reply is one datagram to send back to the sender in slot.
type reply struct {
	slot   int
	off, n int
	extra  bool // payload is extra[off:off+n], else arena[off:off+n]
}

func newUDPSocket(fd int, cfg *Config) *udpSocket {
	batch, size := cfg.UDPBatch, cfg.UDPBuffer
	u := &udpSocket{
		fd:      fd,
		size:    size,
		arena:   make([]byte, batch*size),
		names:   make([]unix.RawSockaddrAny, batch),
		iovs:    make([]unix.Iovec, batch),
		msgs:    make([]unix.Mmsghdr, batch),
		siovs:   make([]unix.Iovec, batch),
		smsgs:   make([]unix.Mmsghdr, batch),
		counts:  make([]int, batch),
		cmsgs:   make([]byte, batch*udpgso.ControlSpace),
		gso:     !cfg.NoUDPGSO && udpgso.Supported(),
		reading: true,
		events:  eventRead,
	}
	for i := range u.msgs {
		u.iovs[i].Base = &u.arena[i*size]
		u.iovs[i].SetLen(size)
		h := &u.msgs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&u.names[i]))
		h.Namelen = unix.SizeofSockaddrAny
		h.Iov = &u.iovs[i]
		h.SetIovlen(1)
	}
	return u
}

func (u *udpSocket) pending() int { return len(u.replies) - u.sent }

func (u *udpSocket) close() error {
	err := closeFD(u.fd)
	u.fd = -1
	return err
}

// Packet is one received datagram, valid only during OnPacket.
type Packet struct {
	loop *Loop
	slot int
	data []byte
}

// Data returns the datagram's payload. It points into the loop's receive
// buffers: valid until OnPacket returns, and it may be passed to Reply.
func (p *Packet) Data() []byte { return p.data }

// From returns the sender's address.
func (p *Packet) From() netip.AddrPort { return addrPort(&p.loop.udp.names[p.slot]) }

// Reply queues b as a datagram to the sender. Replies go out together,
// with one sendmmsg per batch, after the handler has seen every datagram
// of the batch. b is not copied when it lies within Data, so echoing
// Data, or part of it, is free; any other b is copied and may be reused
// at once.
func (p *Packet) Reply(b []byte) {
	u := p.loop.udp
	r := reply{slot: p.slot, n: len(b)}
	if off, ok := u.arenaOffset(b); ok {
		r.off = off
	} else {
		r.off, r.extra = len(u.extra), true
		u.extra = append(u.extra, b...)
	}
	u.replies = append(u.replies, r)
}

// Loop returns the loop that received the datagram.
func (p *Packet) Loop() *Loop { return p.loop }

// arenaOffset reports whether b lies within the receive buffers, and
// where.
func (u *udpSocket) arenaOffset(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(u.arena)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if p < start || p+uintptr(len(b)) > start+uintptr(len(u.arena)) {
		return 0, false
	}
	return int(p - start), true
}

// udpEvent handles readiness of the loop's UDP socket.
func (l *Loop) udpEvent(ev eventFlags) {
	u := l.udp
	if ev&eventErr != 0 {
		// Reading SO_ERROR clears it, or a level-triggered EPOLLERR
		// would be reported forever.
		_, _ = unix.GetsockoptInt(u.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	}
	if u.pending() > 0 && l.flushReplies() {
		l.udpInterest()
	}
	if ev&eventRead != 0 && u.reading && u.pending() == 0 {
		l.readPackets()
	}
}

// readPackets receives up to udpRounds batches, hands each datagram to
// the handler and sends the replies of each batch before reading the
// next.
func (l *Loop) readPackets() {
	u := l.udp
	for range udpRounds {
		// recvmmsg writes msg_namelen, the sender's length, and
		// msg_flags in the slots it fills and nowhere else, and reads
		// only msg_namelen (recvmsg(2): msg_flags is output only), so
		// the slots the last call filled are the ones to make ready: a
		// wake-up that finds one datagram touches one slot, not the
		// batch.
		for i := range u.filled {
			u.msgs[i].Hdr.Namelen = unix.SizeofSockaddrAny
		}
		n, err := mmsgFD(unix.SYS_RECVMMSG, u.fd, u.msgs)
		u.filled = max(n, 0)
		if err != nil {
			if err != unix.EAGAIN {
				l.cfg.Logger.Warn("netpoll: recvmmsg", "loop", l.idx, "err", wrapSyscall("recvmmsg", err))
			}
			return
		}
		for i := range n {
			m := &u.msgs[i]
			// The kernel cut a datagram longer than the slot and says so
			// in msg_flags (recvmsg(2), MSG_TRUNC): never deliver it.
			if m.Hdr.Flags&unix.MSG_TRUNC != 0 {
				l.stats.truncated.Add(1)
				continue
			}
			l.stats.datagrams.Add(1)
			l.stats.bytesIn.Add(uint64(m.Len))
			u.pkt = Packet{loop: l, slot: i, data: u.arena[i*u.size : i*u.size+int(m.Len)]}
			l.callPacket(&u.pkt)
		}
		u.pkt = Packet{}
		if !l.flushReplies() {
			l.udpInterest()
			return
		}
		if n < len(u.msgs) {
			return
		}
	}
}

func (l *Loop) callPacket(p *Packet) {
	defer func() {
		if r := recover(); r != nil {
			_ = l.logPanic("OnPacket", r)
		}
	}()
	l.packets.OnPacket(p)
}

// flushReplies sends pending replies in batches. It returns false if the
// socket's send buffer filled up (EAGAIN): the rest waits for EPOLLOUT.
// A reply the kernel refuses for another reason is dropped and counted;
// if it refuses a GSO message, the socket sends one datagram per message
// from then on and nothing is dropped.
func (l *Loop) flushReplies() bool {
	u := l.udp
	for u.sent < len(u.replies) {
		k := u.packReplies()
		var n int
		var err error
		if k == 1 && u.counts[0] == 1 {
			n, err = u.sendOne()
		} else {
			n, err = mmsgFD(unix.SYS_SENDMMSG, u.fd, u.smsgs[:k])
		}
		if err != nil {
			if err == unix.EAGAIN {
				return false
			}
			if u.counts[0] > 1 && udpgso.Refused(err) {
				// A device without checksum offload, for one, makes the
				// kernel refuse segmentation (EIO, udp(7)).
				u.gso = false
				l.cfg.Logger.Warn("netpoll: UDP segmentation offload refused; sending datagram by datagram",
					"loop", l.idx, "err", wrapSyscall("sendmmsg", err))
				continue
			}
			// sendmmsg fails as a whole only when its first message
			// fails (sendmmsg(2), RETURN VALUE): skip that one, with
			// every datagram it carries.
			l.stats.dropped.Add(uint64(u.counts[0]))
			u.sent += u.counts[0]
			continue
		}
		for j := range n {
			l.stats.bytesOut.Add(uint64(u.smsgs[j].Len))
			u.sent += u.counts[j]
			if u.counts[j] > 1 {
				u.gsoRuns++
			}
		}
	}
	u.replies, u.sent, u.extra = u.replies[:0], 0, u.extra[:0]
	return true
}

// sendOne sends the lone datagram of the first send header with
// sendto(2) and records its length there, as sendmmsg would. A wake-up
// that finds one datagram, the common case with one request in flight per
// peer, answers it this way: sendto carries the buffer and the address as
// arguments, where sendmmsg copies in a message header and an iovec and
// writes the length back (docs/perf/udp-depth1 has the figures).
func (u *udpSocket) sendOne() (int, error) {
	h := &u.smsgs[0].Hdr
	w, err := sendtoFD(u.fd, h.Iov.Base, int(h.Iov.Len), h.Name, h.Namelen)
	if err != nil {
		return 0, err
	}
	u.smsgs[0].Len = uint32(w)
	return 1, nil
}

// udpInterest registers what the UDP socket waits for: room to send while
// replies are pending, else datagrams while reading.
func (l *Loop) udpInterest() {
	if l.ring != nil {
		l.ringUDPInterest()
		return
	}
	u := l.udp
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
	if err := l.poller.mod(u.fd, 0, want); err != nil {
		l.cfg.Logger.Error("netpoll: udp interest", "loop", l.idx, "err", err)
		return
	}
	u.events = want
}

// udpStopReading stops reading datagrams; pending replies still go out.
func (l *Loop) udpStopReading() {
	l.udp.reading = false
	l.udpInterest()
}
