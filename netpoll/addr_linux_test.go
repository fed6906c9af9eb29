//go:build linux

package netpoll

import (
	"net/netip"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestAddrPort checks the conversion of kernel-filled socket addresses,
// whose ports are in network byte order whatever the host's.
func TestAddrPort(t *testing.T) {
	tests := []struct {
		name   string
		family uint16
		addr   []byte
		port   [2]byte // as the kernel stores it: big-endian
		want   netip.AddrPort
	}{
		{name: "ipv4", family: unix.AF_INET, addr: []byte{127, 0, 0, 1}, port: [2]byte{0x1f, 0x90},
			want: netip.MustParseAddrPort("127.0.0.1:8080")},
		{name: "ipv4 high port", family: unix.AF_INET, addr: []byte{10, 1, 2, 3}, port: [2]byte{0xff, 0x01},
			want: netip.MustParseAddrPort("10.1.2.3:65281")},
		{name: "ipv6", family: unix.AF_INET6, addr: netip.MustParseAddr("2001:db8::1").AsSlice(), port: [2]byte{0x00, 0x50},
			want: netip.MustParseAddrPort("[2001:db8::1]:80")},
		{name: "ipv4-mapped ipv6 unmapped", family: unix.AF_INET6, addr: netip.MustParseAddr("::ffff:192.0.2.7").AsSlice(), port: [2]byte{0x30, 0x39},
			want: netip.MustParseAddrPort("192.0.2.7:12345")},
		{name: "unknown family", family: unix.AF_UNIX, want: netip.AddrPort{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rsa unix.RawSockaddrAny
			switch tt.family {
			case unix.AF_INET:
				sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
				sa.Family = tt.family
				copy(sa.Addr[:], tt.addr)
				*(*[2]byte)(unsafe.Pointer(&sa.Port)) = tt.port
			case unix.AF_INET6:
				sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
				sa.Family = tt.family
				copy(sa.Addr[:], tt.addr)
				*(*[2]byte)(unsafe.Pointer(&sa.Port)) = tt.port
			default:
				rsa.Addr.Family = tt.family
			}
			if got := addrPort(&rsa); got != tt.want {
				t.Fatalf("addrPort = %v, want %v", got, tt.want)
			}
		})
	}
}
