package threads

import (
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/sysfd"
)

// sockaddr resolves a host:port for network into a socket address and its
// family. A missing host on "tcp" or "udp" binds the IPv6 wildcard with
// IPV6_V6ONLY off (dualStack), as package net does, so IPv4 peers are
// served too.
func sockaddr(network, address string) (sa unix.Sockaddr, family int, dualStack bool, err error) {
	host, port, err := hostPort(network, address)
	if err != nil {
		return nil, 0, false, err
	}
	four := network == "tcp4" || network == "udp4"
	six := network == "tcp6" || network == "udp6"
	if host == nil || host.IsUnspecified() {
		if four || (!six && host != nil && host.To4() != nil) {
			return &unix.SockaddrInet4{Port: port}, unix.AF_INET, false, nil
		}
		return &unix.SockaddrInet6{Port: port}, unix.AF_INET6, !six, nil
	}
	if ip4 := host.To4(); ip4 != nil && !six {
		sa4 := &unix.SockaddrInet4{Port: port}
		copy(sa4.Addr[:], ip4)
		return sa4, unix.AF_INET, false, nil
	}
	if four {
		return nil, 0, false, fmt.Errorf("threads: %s is not an IPv4 address", host)
	}
	sa6 := &unix.SockaddrInet6{Port: port}
	copy(sa6.Addr[:], host.To16())
	return sa6, unix.AF_INET6, false, nil
}

// hostPort resolves address with package net, which looks up names and
// validates the port; a nil IP means no host was given.
func hostPort(network, address string) (net.IP, int, error) {
	if network[:3] == "udp" {
		a, err := net.ResolveUDPAddr(network, address)
		if err != nil {
			return nil, 0, err
		}
		return a.IP, a.Port, nil
	}
	a, err := net.ResolveTCPAddr(network, address)
	if err != nil {
		return nil, 0, err
	}
	return a.IP, a.Port, nil
}

// openSocket creates a blocking socket of typ, applies setup (socket
// options that must precede bind) and binds it to sa; sysfd.Socket closes
// it again if any step fails.
func openSocket(family, typ int, sa unix.Sockaddr, dualStack bool, setup func(fd int) error) (int, error) {
	// No SOCK_NONBLOCK: every call on this socket blocks its thread.
	return sysfd.Socket(family, typ, func(fd int) error {
		if family == unix.AF_INET6 {
			v6only := 1
			if dualStack {
				v6only = 0
			}
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
				return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
			}
		}
		if err := setup(fd); err != nil {
			return err
		}
		return os.NewSyscallError("bind", unix.Bind(fd, sa))
	})
}

// setTimeout sets SO_RCVTIMEO or SO_SNDTIMEO (opt) to d; 0 means none.
// A blocking call on the socket then fails with EAGAIN once d passes
// without progress (socket(7)).
func setTimeout(fd, opt int, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	tv := unix.NsecToTimeval(d.Nanoseconds())
	if tv.Sec == 0 && tv.Usec == 0 {
		// A zero timeval means "no timeout"; round a sub-microsecond
		// duration up rather than disable it.
		tv.Usec = 1
	}
	name := "setsockopt SO_RCVTIMEO"
	if opt == unix.SO_SNDTIMEO {
		name = "setsockopt SO_SNDTIMEO"
	}
	return os.NewSyscallError(name, unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv))
}

// shutdownFD calls shutdown(2) to wake a thread blocked on fd. ENOTCONN is
// expected on sockets the peer already reset and on unconnected UDP
// sockets, where Linux still sets the flag and wakes the waiters
// (inet_shutdown in net/ipv4/af_inet.c), so it is ignored.
func shutdownFD(fd, how int) {
	_ = unix.Shutdown(fd, how)
}
