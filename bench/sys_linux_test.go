package bench

import (
	"net"
	"net/netip"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(entries)
}

func TestDialSocket(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	tcpAddr := netip.MustParseAddrPort(ln.Addr().String())
	udpAddr := netip.MustParseAddrPort(pc.LocalAddr().String())

	tests := []struct {
		name     string
		network  string
		server   netip.AddrPort
		source   netip.Addr
		wantErr  bool
		wantType int
	}{
		{name: "tcp", network: "tcp", server: tcpAddr, wantType: unix.SOCK_STREAM},
		{name: "tcp from a source address", network: "tcp", server: tcpAddr, source: netip.MustParseAddr("127.0.0.2"), wantType: unix.SOCK_STREAM},
		{name: "udp", network: "udp", server: udpAddr, wantType: unix.SOCK_DGRAM},
		// 192.0.2.0/24 is TEST-NET-1 (RFC 5737): no interface has it,
		// so bind fails after the socket is open and it must be closed.
		{name: "source not on this machine", network: "tcp", server: tcpAddr, source: netip.MustParseAddr("192.0.2.1"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := openFDs(t)
			fd, err := dialSocket(tt.network, tt.server, tt.source)
			if tt.wantErr {
				if err == nil || fd != -1 {
					t.Fatalf("dialSocket = %d, %v; want -1 and an error", fd, err)
				}
				if after := openFDs(t); after != before {
					t.Fatalf("%d descriptors open after the failed dial, %d before: the socket leaked", after, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("dialSocket: %v", err)
			}
			defer unix.Close(fd)
			if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != tt.wantType {
				t.Errorf("socket type %d, %v; want %d", typ, err, tt.wantType)
			}
			flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			if err != nil || flags&unix.FD_CLOEXEC == 0 {
				t.Errorf("descriptor flags %#x, %v; want FD_CLOEXEC", flags, err)
			}
			// Wait for the connect to finish, then check it did.
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			if n, err := unix.Poll(pfd, 5000); n != 1 || err != nil {
				t.Fatalf("poll = %d, %v; the socket never became writable", n, err)
			}
			if err := connectError(fd); err != nil {
				t.Fatalf("connect: %v", err)
			}
			sa, err := unix.Getsockname(fd)
			if err != nil {
				t.Fatal(err)
			}
			if tt.source.IsValid() && netip.AddrFrom4(sa.(*unix.SockaddrInet4).Addr) != tt.source {
				t.Errorf("bound to %v, want %v", sa.(*unix.SockaddrInet4).Addr, tt.source)
			}
		})
	}
}
