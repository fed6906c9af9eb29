//go:build linux

package netpoll

import (
	"bytes"
	"unsafe"

	"golang.org/x/sys/unix"
)

// UDP generic segmentation offload (UDP_SEGMENT, udp(7), Linux 4.18):
// one sendmsg may carry several datagrams of one size to one address, and
// the kernel cuts them apart after a single route lookup, a single pass
// down the IP stack and, on loopback or a NIC with the offload, a single
// trip through the device. A peer that sends a burst gets its replies back
// to back in the batch, so runs of them go out as one message of the
// sendmmsg batch.
const (
	// udpMaxSegments is the most datagrams in one GSO message: the
	// kernel's UDP_MAX_SEGMENTS was 64 from its start and only grew
	// later, so 64 holds on every kernel that has UDP_SEGMENT.
	udpMaxSegments = 64
	// udpMaxGSOBytes bounds the payload of one GSO message: the kernel
	// refuses one whose IP packet would pass 64 KiB.
	udpMaxGSOBytes = 60000
	// udpMaxGSOSegment is the largest datagram sent in a run. The kernel
	// refuses a segment size that does not fit the route's MTU (EINVAL
	// on older kernels, EMSGSIZE on newer ones; net/ipv4/udp.c,
	// udp_send_skb), where a lone datagram would have been fragmented,
	// so runs are kept to what fits any IPv6 path: the IPv6 minimum MTU
	// of 1280 bytes (RFC 8200, section 5) less 48 bytes of IPv6 and UDP
	// headers.
	udpMaxGSOSegment = 1232
)

// gsoControlSpace is the size of one UDP_SEGMENT control message.
var gsoControlSpace = unix.CmsgSpace(2)

// probeGSO reports whether the kernel knows UDP_SEGMENT: setting it to 0
// (no segmentation by default) fails with ENOPROTOOPT on older kernels.
func probeGSO(fd int) bool {
	return unix.SetsockoptInt(fd, unix.SOL_UDP, unix.UDP_SEGMENT, 0) == nil
}

// gsoRefused reports whether err is how the kernel turns down a
// UDP_SEGMENT message rather than its destination: no offload on the
// device (EIO), a segment size or count it does not take (EINVAL, or
// EMSGSIZE for a segment past the MTU), or no GSO at all (EOPNOTSUPP,
// ENOPROTOOPT). The runs packReplies builds stay far below 64 KiB, so
// EMSGSIZE cannot mean a datagram too long to send alone.
func gsoRefused(err error) bool {
	switch err {
	case unix.EIO, unix.EINVAL, unix.EMSGSIZE, unix.EOPNOTSUPP, unix.ENOPROTOOPT:
		return true
	}
	return false
}

// packReplies fills the send headers with the pending replies, as many as
// one sendmmsg takes, and records in counts how many replies each header
// carries. With GSO a header carries a run of replies to one address, all
// of one size but the last, which may be shorter (the kernel's rule for
// the segment size); without it, one reply each.
func (u *udpSocket) packReplies() int {
	k, iov := 0, 0
	for i := u.sent; i < len(u.replies) && k < len(u.smsgs) && iov < len(u.siovs); k++ {
		first := &u.replies[i]
		count := 1
		if u.gso && first.n > 0 && first.n <= udpMaxGSOSegment {
			total := first.n
			for i+count < len(u.replies) && count < udpMaxSegments && iov+count < len(u.siovs) {
				r := &u.replies[i+count]
				if r.n == 0 || r.n > first.n || total+r.n > udpMaxGSOBytes || !u.sameSender(first.slot, r.slot) {
					break
				}
				total += r.n
				count++
				if r.n < first.n {
					break
				}
			}
		}
		for c := range count {
			u.setIov(iov+c, &u.replies[i+c])
		}
		h := &u.smsgs[k].Hdr
		h.Name = (*byte)(unsafe.Pointer(&u.names[first.slot]))
		h.Namelen = u.msgs[first.slot].Hdr.Namelen
		h.Iov = &u.siovs[iov]
		h.SetIovlen(count)
		h.Control = nil
		h.SetControllen(0)
		if count > 1 {
			cm := u.cmsgs[k*gsoControlSpace : (k+1)*gsoControlSpace]
			putGSOSize(cm, first.n)
			h.Control = &cm[0]
			h.SetControllen(len(cm))
		}
		u.counts[k] = count
		iov += count
		i += count
	}
	return k
}

// setIov points send iovec j at reply r's payload.
func (u *udpSocket) setIov(j int, r *reply) {
	src := u.arena
	if r.extra {
		src = u.extra
	}
	u.siovs[j] = unix.Iovec{}
	if r.n > 0 {
		u.siovs[j].Base = &src[r.off]
	}
	u.siovs[j].SetLen(r.n)
}

// sameSender reports whether receive slots a and b hold the same sender
// address, byte for byte.
func (u *udpSocket) sameSender(a, b int) bool {
	la, lb := u.msgs[a].Hdr.Namelen, u.msgs[b].Hdr.Namelen
	if la != lb || la > unix.SizeofSockaddrAny {
		return false
	}
	pa := (*[unix.SizeofSockaddrAny]byte)(unsafe.Pointer(&u.names[a]))
	pb := (*[unix.SizeofSockaddrAny]byte)(unsafe.Pointer(&u.names[b]))
	return bytes.Equal(pa[:la], pb[:lb])
}

// putGSOSize writes a UDP_SEGMENT control message for segments of size
// bytes into cm, which is gsoControlSpace long.
func putGSOSize(cm []byte, size int) {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&cm[0]))
	h.Level = unix.SOL_UDP
	h.Type = unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	*(*uint16)(unsafe.Pointer(&cm[unix.CmsgLen(0)])) = uint16(size)
}
