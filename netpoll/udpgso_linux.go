//go:build linux

package netpoll

import (
	"bytes"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/udpgso"
)

// UDP generic segmentation offload (UDP_SEGMENT, udp(7), Linux 4.18):
// one sendmsg may carry several datagrams of one size to one address, and
// the kernel cuts them apart after a single route lookup, a single pass
// down the IP stack and, on loopback or a NIC with the offload, a single
// trip through the device. A peer that sends a burst gets its replies back
// to back in the batch, so runs of them go out as one message of the
// sendmmsg batch. The limits and the control message are in
// internal/udpgso, shared with the load generator.

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
		if u.gso && first.n > 0 && first.n <= udpgso.MaxSegment {
			total := first.n
			for i+count < len(u.replies) && count < udpgso.MaxSegments && iov+count < len(u.siovs) {
				r := &u.replies[i+count]
				if r.n == 0 || r.n > first.n || total+r.n > udpgso.MaxBytes || !u.sameSender(first.slot, r.slot) {
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
		udpgso.SetControl(h, u.cmsgs[k*udpgso.ControlSpace:(k+1)*udpgso.ControlSpace], count, first.n)
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
