//go:build linux

package netpoll

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// udpEcho replies with each datagram; prefix, when set, is prepended in a
// copy instead.
type udpEcho struct {
	prefix []byte
	from   chan netip.AddrPort
}

func (h *udpEcho) OnPacket(p *Packet) {
	if h.from != nil {
		select {
		case h.from <- p.From():
		default:
		}
	}
	if h.prefix == nil {
		p.Reply(p.Data())
		return
	}
	p.Reply(append(append([]byte(nil), h.prefix...), p.Data()...))
}

func startUDP(t *testing.T, h PacketHandler, cfg Config) *Server {
	t.Helper()
	s, err := ListenPacket("udp", "127.0.0.1:0", h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, s) })
	return s
}

func dialUDP(t *testing.T, s *Server) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp", nil, s.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

func TestUDPEchoManySenders(t *testing.T) {
	h := &udpEcho{from: make(chan netip.AddrPort, 1)}
	s := startUDP(t, h, Config{Loops: 2, UDPBatch: 4})
	for i := range 5 {
		c := dialUDP(t, s)
		// Send a burst so that recvmmsg returns several datagrams and
		// sendmmsg answers them together; each reply goes to its own
		// sender.
		var want []string
		for j := range 10 {
			msg := fmt.Sprintf("sender %d datagram %d", i, j)
			want = append(want, msg)
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
		}
		buf := make([]byte, 100)
		for _, w := range want {
			n, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			if string(buf[:n]) != w {
				t.Fatalf("reply %q, want %q", buf[:n], w)
			}
		}
		if from := <-h.from; from != netip.MustParseAddrPort(c.LocalAddr().String()) {
			t.Fatalf("From() = %v, want %v", from, c.LocalAddr())
		}
	}
	// The loop counts a reply once sendmmsg returns, which may be after
	// the client has read it.
	eventually(t, "50 datagrams and as many bytes out as in", func() bool {
		st := s.Stats()
		return st.Datagrams == 50 && st.BytesIn == st.BytesOut
	})
}

func TestUDPReplyCopiesForeignBytes(t *testing.T) {
	s := startUDP(t, &udpEcho{prefix: []byte("re: ")}, Config{Loops: 1})
	c := dialUDP(t, s)
	for _, msg := range []string{"a", "bb", "ccc"} {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 100)
	for _, want := range []string{"re: a", "re: bb", "re: ccc"} {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if string(buf[:n]) != want {
			t.Fatalf("reply %q, want %q", buf[:n], want)
		}
	}
}

func TestUDPLoneRepliesCountTheirBytes(t *testing.T) {
	s := startUDP(t, &udpEcho{}, Config{Loops: 1})
	c := dialUDP(t, s)
	// Ping-pong: every wake-up finds one datagram and answers it alone,
	// with sizes that differ so that a length left from another reply
	// would show in the count.
	exchange := func(msg []byte) {
		t.Helper()
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:n], msg) {
			t.Fatalf("reply %q, want %q", buf[:n], msg)
		}
	}
	var total uint64
	for i := 1; i <= 5; i++ {
		msg := bytes.Repeat([]byte{byte('a' + i)}, 7*i)
		exchange(msg)
		total += uint64(len(msg))
	}
	// The loop counts a reply's bytes just after sending it, so the
	// count may trail the reply the client just read; one more exchange
	// leaves only its own reply uncounted, at most.
	const fence = 3
	exchange([]byte("end"))
	if st := s.Stats(); st.BytesIn != total+fence || (st.BytesOut != total && st.BytesOut != total+fence) {
		t.Fatalf("bytes in %d, out %d; want %d in and %d (or %d) out", st.BytesIn, st.BytesOut, total+fence, total, total+fence)
	}
}

func TestUDPTruncatedIsDroppedAndCounted(t *testing.T) {
	s := startUDP(t, &udpEcho{}, Config{Loops: 1, UDPBuffer: 16})
	c := dialUDP(t, s)
	if _, err := c.Write(bytes.Repeat([]byte("L"), 17)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("short")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if string(buf[:n]) != "short" {
		t.Fatalf("first reply %q, want the short datagram only", buf[:n])
	}
	if st := s.Stats(); st.Truncated != 1 || st.Datagrams != 1 {
		t.Fatalf("stats %+v, want 1 truncated, 1 delivered", st)
	}
}

func TestUDPEmptyDatagram(t *testing.T) {
	s := startUDP(t, &udpEcho{}, Config{Loops: 1})
	c := dialUDP(t, s)
	if _, err := c.Write(nil); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(make([]byte, 10))
	if err != nil || n != 0 {
		t.Fatalf("Read = %d, %v; want an empty reply", n, err)
	}
}

func TestUDPShutdownReleasesFDs(t *testing.T) {
	before := openFDs(t)
	s, err := ListenPacket("udp", "127.0.0.1:0", &udpEcho{}, Config{Loops: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open after shutdown, %d before", after, before)
	}
}
