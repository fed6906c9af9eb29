package rawaddr

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestNetAddr(t *testing.T) {
	tests := []struct {
		name    string
		network string
		sa      unix.Sockaddr
		want    string
	}{
		{name: "tcp4", network: "tcp", sa: &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: 9000}, want: "tcp 127.0.0.1:9000"},
		{name: "udp4", network: "udp4", sa: &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 2}, Port: 9001}, want: "udp 127.0.0.2:9001"},
		{name: "tcp6", network: "tcp6", sa: &unix.SockaddrInet6{Addr: [16]byte{15: 1}, Port: 80}, want: "tcp [::1]:80"},
		{name: "udp6 loopback zone", network: "udp", sa: &unix.SockaddrInet6{Addr: [16]byte{0: 0xfe, 1: 0x80, 15: 1}, Port: 53, ZoneId: 1}, want: "udp [fe80::1%lo]:53"}, // lo is interface 1 in every network namespace
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NetAddr(tt.network, tt.sa)
			if got := a.Network() + " " + a.String(); got != tt.want {
				t.Errorf("NetAddr = %q, want %q", got, tt.want)
			}
		})
	}
	if a := NetAddr("tcp", &unix.SockaddrUnix{Name: "/tmp/x"}); a != nil {
		t.Errorf("NetAddr of a unix socket = %v, want nil", a)
	}
}
