package gnetengine

import (
	"net"

	"golang.org/x/sys/unix"
)

// netAddr converts a socket address into the net.Addr for network.
func netAddr(network string, sa unix.Sockaddr) net.Addr {
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
	if network[:3] == "udp" {
		return &net.UDPAddr{IP: ip, Port: port, Zone: zone}
	}
	return &net.TCPAddr{IP: ip, Port: port, Zone: zone}
}
