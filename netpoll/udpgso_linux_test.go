//go:build linux

package netpoll

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/udpgso"
)

// gsoSocket is a udpSocket with senders set by hand: slot i's sender is
// senders[i], one byte that stands for an address.
func gsoSocket(gso bool, senders []byte, batch int) *udpSocket {
	u := &udpSocket{
		arena:  make([]byte, batch*64),
		size:   64,
		names:  make([]unix.RawSockaddrAny, batch),
		msgs:   make([]unix.Mmsghdr, batch),
		siovs:  make([]unix.Iovec, batch),
		smsgs:  make([]unix.Mmsghdr, batch),
		counts: make([]int, batch),
		cmsgs:  make([]byte, batch*udpgso.ControlSpace),
		gso:    gso,
	}
	for i, s := range senders {
		u.names[i].Addr.Family = unix.AF_INET
		u.names[i].Addr.Data[0] = int8(s)
		u.msgs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
	}
	return u
}

func TestPackRepliesGroupsRuns(t *testing.T) {
	tests := []struct {
		name    string
		gso     bool
		senders []byte // sender of each reply's slot, reply i answers slot i
		sizes   []int
		want    []int // replies per send header
	}{
		{name: "one sender, one size", gso: true, senders: []byte{1, 1, 1, 1}, sizes: []int{8, 8, 8, 8}, want: []int{4}},
		{name: "gso off", gso: false, senders: []byte{1, 1, 1}, sizes: []int{8, 8, 8}, want: []int{1, 1, 1}},
		{name: "senders alternate", gso: true, senders: []byte{1, 2, 1, 2}, sizes: []int{8, 8, 8, 8}, want: []int{1, 1, 1, 1}},
		{name: "two runs", gso: true, senders: []byte{1, 1, 1, 2, 2}, sizes: []int{8, 8, 8, 8, 8}, want: []int{3, 2}},
		{name: "a shorter datagram ends a run", gso: true, senders: []byte{1, 1, 1, 1}, sizes: []int{8, 8, 5, 8}, want: []int{3, 1}},
		{name: "a longer datagram starts a run", gso: true, senders: []byte{1, 1, 1}, sizes: []int{5, 8, 8}, want: []int{1, 2}},
		{name: "empty datagrams go alone", gso: true, senders: []byte{1, 1, 1, 1}, sizes: []int{0, 0, 8, 0}, want: []int{1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := gsoSocket(tt.gso, tt.senders, 8)
			for i, n := range tt.sizes {
				u.replies = append(u.replies, reply{slot: i, off: i * 64, n: n})
			}
			k := u.packReplies()
			if got := u.counts[:k]; !slices.Equal(got, tt.want) {
				t.Fatalf("replies per header %v, want %v", got, tt.want)
			}
			iov := 0
			for j := range k {
				h := &u.smsgs[j].Hdr
				if int(h.Iovlen) != u.counts[j] || h.Iov != &u.siovs[iov] {
					t.Fatalf("header %d: %d iovecs from %d, want %d from %d", j, h.Iovlen, iov, u.counts[j], iov)
				}
				for c := range u.counts[j] {
					if got, want := int(u.siovs[iov+c].Len), tt.sizes[iov+c]; got != want {
						t.Fatalf("header %d iovec %d: %d bytes, want %d", j, c, got, want)
					}
				}
				if (h.Controllen != 0) != (u.counts[j] > 1) {
					t.Fatalf("header %d carries %d replies but a control message of %d bytes", j, u.counts[j], h.Controllen)
				}
				if u.counts[j] > 1 {
					cm := unsafe.Slice(h.Control, h.Controllen)
					if got := udpgso.SegmentSize(cm); got != tt.sizes[iov] {
						t.Fatalf("header %d: segment size %d, want %d", j, got, tt.sizes[iov])
					}
				}
				iov += u.counts[j]
			}
		})
	}
}

func TestPackRepliesBounds(t *testing.T) {
	const batch = 128
	senders := bytes.Repeat([]byte{1}, batch)
	tests := []struct {
		name string
		size int
		want int // replies in the first header
	}{
		{name: "segment count", size: 8, want: udpgso.MaxSegments},
		{name: "bytes", size: 1200, want: udpgso.MaxBytes / 1200},
		{name: "segment size", size: udpgso.MaxSegment + 1, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := gsoSocket(true, senders, batch)
			u.arena = make([]byte, batch*tt.size)
			for i := range batch {
				u.replies = append(u.replies, reply{slot: i, off: i * tt.size, n: tt.size})
			}
			if k := u.packReplies(); k < 1 || u.counts[0] != tt.want {
				t.Fatalf("first header carries %d replies, want %d", u.counts[0], tt.want)
			}
		})
	}
}

// TestUDPGSOKeepsDatagrams sends bursts from two sockets, one with equal
// sizes and one with a shorter datagram in the middle of each burst, and
// checks that every reply comes back whole, alone and in order, with
// segmentation offload on and off.
func TestUDPGSOKeepsDatagrams(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoUDPGSO=%v", off), func(t *testing.T) {
			// The loop waits in its first OnPacket until every burst is
			// sent, so the later batches hold runs from both senders.
			h := &gatedEcho{open: make(chan struct{})}
			s := startUDP(t, h, Config{Loops: 1, UDPBatch: 64, NoUDPGSO: off})
			a, b := dialUDP(t, s), dialUDP(t, s)
			var wantA, wantB [][]byte
			for round := range 4 {
				for i := range 20 {
					ma := bytes.Repeat([]byte{byte('a' + i)}, 100)
					mb := bytes.Repeat([]byte{byte('A' + i)}, 100-30*boolInt(i%7 == 3))
					ma[0], mb[0] = byte(round), byte(round)
					wantA, wantB = append(wantA, ma), append(wantB, mb)
				}
			}
			send := func(c *net.UDPConn, msgs [][]byte) {
				for _, m := range msgs {
					if _, err := c.Write(m); err != nil {
						t.Fatal(err)
					}
				}
			}
			for r := range 4 {
				send(a, wantA[r*20:(r+1)*20])
				send(b, wantB[r*20:(r+1)*20])
			}
			close(h.open)
			for _, tc := range []struct {
				c    *net.UDPConn
				want [][]byte
			}{{a, wantA}, {b, wantB}} {
				buf := make([]byte, 200)
				for i, w := range tc.want {
					n, err := tc.c.Read(buf)
					if err != nil {
						t.Fatalf("reply %d: %v", i, err)
					}
					if !bytes.Equal(buf[:n], w) {
						t.Fatalf("reply %d is %d bytes %q..., want %d bytes %q...", i, n, buf[:min(n, 4)], len(w), w[:4])
					}
				}
			}
			shutdown(t, s)
			u := s.loops[0].udp
			if off && u.gsoRuns != 0 {
				t.Fatalf("%d runs sent with segmentation offload turned off", u.gsoRuns)
			}
			if !off && udpgso.Supported() && u.gsoRuns == 0 {
				t.Fatal("no reply went out in a run although the kernel takes UDP_SEGMENT")
			}
		})
	}
}

// gatedEcho echoes every datagram, holding its loop in the first
// OnPacket until open is closed (or a while has passed).
type gatedEcho struct {
	once sync.Once
	open chan struct{}
}

func (g *gatedEcho) OnPacket(p *Packet) {
	g.once.Do(func() {
		select {
		case <-g.open:
		case <-time.After(10 * time.Second):
		}
	})
	p.Reply(p.Data())
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
