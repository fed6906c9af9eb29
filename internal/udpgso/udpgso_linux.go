// Package udpgso holds what rawnet's reactor and its load generator both
// need to send a run of UDP datagrams as one message with generic
// segmentation offload (UDP_SEGMENT, udp(7), Linux 4.18): the kernel cuts
// the message into datagrams after a single route lookup and a single
// pass down the IP stack. It is separate from netpoll so that the load
// generator stays independent of the servers it measures.
package udpgso

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Limits of one GSO message.
const (
	// MaxSegments is the most datagrams in one message: the kernel's
	// UDP_MAX_SEGMENTS was 64 from its start and only grew later, so 64
	// holds on every kernel that has UDP_SEGMENT.
	MaxSegments = 64
	// MaxBytes bounds the payload of one message: the kernel refuses one
	// whose IP packet would pass 64 KiB.
	MaxBytes = 60000
	// MaxSegment is the largest datagram sent in a run. The kernel refuses
	// a segment size that does not fit the route's MTU (EINVAL on older
	// kernels, EMSGSIZE on newer ones; net/ipv4/udp.c, udp_send_skb),
	// where a lone datagram would have been fragmented, so runs are kept
	// to what fits any IPv6 path: the IPv6 minimum MTU of 1280 bytes
	// (RFC 8200, section 5) less 48 bytes of IPv6 and UDP headers.
	MaxSegment = 1232
)

// ControlSpace is the size of one UDP_SEGMENT control message.
var ControlSpace = unix.CmsgSpace(2)

// Supported reports whether the kernel knows UDP_SEGMENT, asking once per
// process: setting it to 0 (no segmentation by default) on a fresh socket
// fails with ENOPROTOOPT on kernels without it.
var Supported = sync.OnceValue(func() bool {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.SetsockoptInt(fd, unix.SOL_UDP, unix.UDP_SEGMENT, 0) == nil
})

// PutSegmentSize writes into cm, which is ControlSpace long, a UDP_SEGMENT
// control message that cuts a message into datagrams of size bytes.
func PutSegmentSize(cm []byte, size int) {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&cm[0]))
	h.Level = unix.SOL_UDP
	h.Type = unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	*(*uint16)(unsafe.Pointer(&cm[unix.CmsgLen(0)])) = uint16(size)
}

// SetControl gives h, a message carrying count datagrams of size bytes
// (the last may be shorter), its control message: with more than one
// datagram, a UDP_SEGMENT message written into cm, which is ControlSpace
// long; with one, none at all, since a lone datagram needs no offload and
// a previous use of h may have left a control message behind.
func SetControl(h *unix.Msghdr, cm []byte, count, size int) {
	if count <= 1 {
		h.Control = nil
		h.SetControllen(0)
		return
	}
	PutSegmentSize(cm, size)
	h.Control = &cm[0]
	h.SetControllen(len(cm))
}

// SegmentSize returns the size a control message written by
// PutSegmentSize carries.
func SegmentSize(cm []byte) int {
	return int(*(*uint16)(unsafe.Pointer(&cm[unix.CmsgLen(0)])))
}

// Refused reports whether err is how the kernel turns down a UDP_SEGMENT
// message rather than its destination: no offload on the device (EIO), a
// segment size or count it does not take (EINVAL, or EMSGSIZE for a
// segment past the MTU), or no GSO at all (EOPNOTSUPP, ENOPROTOOPT). Runs
// within the limits above stay far below 64 KiB, so EMSGSIZE cannot mean
// a datagram too long to send alone.
func Refused(err error) bool {
	switch err {
	case unix.EIO, unix.EINVAL, unix.EMSGSIZE, unix.EOPNOTSUPP, unix.ENOPROTOOPT:
		return true
	}
	return false
}
