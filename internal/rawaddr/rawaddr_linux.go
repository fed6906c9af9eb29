// Package rawaddr converts the socket addresses raw syscalls return into
// the net.Addr values engine.Server.Addr reports.
package rawaddr

import (
	"net"
	"strings"

	"golang.org/x/sys/unix"
)

// NetAddr converts sa into a *net.TCPAddr, or a *net.UDPAddr when network
// names a UDP network. It returns nil for a socket address that is not IPv4
// or IPv6.
func NetAddr(network string, sa unix.Sockaddr) net.Addr {
	var ip net.IP
	var port int
	var zone string
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ip, port = net.IP(a.Addr[:]).To16(), a.Port
	case *unix.SockaddrInet6:
		ip, port = net.IP(a.Addr[:]), a.Port
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				zone = ifi.Name
			}
		}
	default:
		return nil
	}
	if strings.HasPrefix(network, "udp") {
		return &net.UDPAddr{IP: ip, Port: port, Zone: zone}
	}
	return &net.TCPAddr{IP: ip, Port: port, Zone: zone}
}
