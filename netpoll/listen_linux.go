//go:build linux

package netpoll

import (
	"fmt"
	"net"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/rawaddr"
	"github.com/rawnet/rawnet/internal/sysfd"
)

// endpoint is a resolved local address.
type endpoint struct {
	family int
	sa     unix.Sockaddr
	dual   bool // IPv6 socket that also accepts IPv4 (unspecified host)
}

// resolve turns "host:port" into a socket address. An empty host means
// every interface, over a dual-stack IPv6 socket unless the network ends
// in "4".
func resolve(network, address string) (endpoint, error) {
	var ip net.IP
	var port int
	var zone string
	switch {
	case strings.HasPrefix(network, "tcp"):
		a, err := net.ResolveTCPAddr(network, address)
		if err != nil {
			return endpoint{}, err
		}
		ip, port, zone = a.IP, a.Port, a.Zone
	case strings.HasPrefix(network, "udp"):
		a, err := net.ResolveUDPAddr(network, address)
		if err != nil {
			return endpoint{}, err
		}
		ip, port, zone = a.IP, a.Port, a.Zone
	default:
		return endpoint{}, fmt.Errorf("netpoll: unknown network %q", network)
	}
	v4only := strings.HasSuffix(network, "4")
	v6only := strings.HasSuffix(network, "6")
	if ip4 := ip.To4(); !v6only && (ip4 != nil || (ip == nil && v4only)) {
		sa := &unix.SockaddrInet4{Port: port}
		copy(sa.Addr[:], ip4)
		return endpoint{family: unix.AF_INET, sa: sa}, nil
	}
	if v4only {
		return endpoint{}, fmt.Errorf("netpoll: %s is not an IPv4 address", address)
	}
	sa := &unix.SockaddrInet6{Port: port}
	copy(sa.Addr[:], ip.To16())
	if zone != "" {
		ifi, err := net.InterfaceByName(zone)
		if err != nil {
			return endpoint{}, err
		}
		sa.ZoneId = uint32(ifi.Index)
	}
	return endpoint{family: unix.AF_INET6, sa: sa, dual: ip == nil && !v6only}, nil
}

// withPort returns ep with its port replaced, for the second and later
// sockets of a SO_REUSEPORT group bound to the port the first was given.
func (ep endpoint) withPort(port int) endpoint {
	switch sa := ep.sa.(type) {
	case *unix.SockaddrInet4:
		c := *sa
		c.Port = port
		ep.sa = &c
	case *unix.SockaddrInet6:
		c := *sa
		c.Port = port
		ep.sa = &c
	}
	return ep
}

// socket opens, configures and binds a non-blocking, close-on-exec socket
// of typ (SOCK_STREAM or SOCK_DGRAM), and listens on a stream socket.
// sysfd.Socket closes the descriptor if any step fails; every failed
// system call comes back as an *os.SyscallError.
func socket(ep endpoint, typ int, reusePort bool, cfg *Config) (int, error) {
	return sysfd.Socket(ep.family, typ|unix.SOCK_NONBLOCK, func(fd int) error {
		return setupSocket(fd, ep, typ, reusePort, cfg)
	})
}

// setupSocket sets the options netpoll needs on a new socket, runs
// Config.Control, binds it and, for a stream socket, listens.
func setupSocket(fd int, ep endpoint, typ int, reusePort bool, cfg *Config) error {
	if ep.family == unix.AF_INET6 {
		// Say it explicitly: the default follows the
		// net.ipv6.bindv6only sysctl (ipv6(7)).
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, btoi(!ep.dual)); err != nil {
			return wrapSyscall("setsockopt IPV6_V6ONLY", err)
		}
	}
	if typ == unix.SOCK_STREAM {
		// As Go's net package does: a restarted server can bind a port
		// whose old connections are still in TIME_WAIT (socket(7)).
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return wrapSyscall("setsockopt SO_REUSEADDR", err)
		}
	}
	if reusePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return wrapSyscall("setsockopt SO_REUSEPORT", err)
		}
	}
	if cfg.Control != nil {
		if err := cfg.Control(fd); err != nil {
			return err
		}
	}
	if err := unix.Bind(fd, ep.sa); err != nil {
		return wrapSyscall("bind", err)
	}
	if typ == unix.SOCK_STREAM {
		if err := unix.Listen(fd, cfg.Backlog); err != nil {
			return wrapSyscall("listen", err)
		}
	}
	return nil
}

// localAddr returns the address fd is bound to, as a *net.TCPAddr or
// *net.UDPAddr, and its port.
func localAddr(fd int, stream bool) (net.Addr, int, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, 0, wrapSyscall("getsockname", err)
	}
	network := "udp"
	if stream {
		network = "tcp"
	}
	a := rawaddr.NetAddr(network, sa)
	if a == nil {
		return nil, 0, fmt.Errorf("netpoll: unexpected socket address %T", sa)
	}
	if stream {
		return a, a.(*net.TCPAddr).Port, nil
	}
	return a, a.(*net.UDPAddr).Port, nil
}
