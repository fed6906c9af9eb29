package gnetengine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
)

// Buffer sizes gnet is given.
const (
	// udpBufferHeadroom makes gnet's read buffer larger than
	// Config.UDPBuffer. gnet reads datagrams with recvfrom(2) without
	// MSG_TRUNC (eventloop.readUDP in eventloop_unix.go), so a datagram
	// cut to the buffer is indistinguishable from one that fits; with a
	// larger buffer, any datagram over UDPBuffer arrives longer than
	// UDPBuffer and is dropped and counted as truncated.
	udpBufferHeadroom = 1
)

// errReusePortNeedsBalance explains why SO_REUSEPORT is refused with the
// single-acceptor balance policies.
var errReusePortNeedsBalance = errors.New("gnet: SO_REUSEPORT selects gnet's one-listener-per-loop mode; " +
	"use balance reuseport, or leave reuseport off with roundrobin and leastconn")

// gnetOptions maps cfg onto gnet's options one to one. Options gnet lacks
// (TCP_QUICKACK, SO_BUSY_POLL, SO_RCVBUFFORCE / SO_SNDBUFFORCE) are set on
// each accepted socket in OnOpen.
//
// Balance maps as follows: roundrobin to gnet.RoundRobin and leastconn to
// gnet.LeastConnections, both behind gnet's single acceptor (the "main
// reactor"); reuseport to gnet's ReusePort mode, where every event loop
// owns an SO_REUSEPORT listener and the kernel spreads connections among
// them. gnet ties SO_REUSEPORT to that mode (engine.start in
// engine_unix.go), so SO_REUSEPORT with another balance is refused. UDP
// always runs in that mode: gnet forces SO_REUSEPORT on for UDP
// (createListeners in gnet.go).
func gnetOptions(cfg engine.Config, logger *slogLogger) ([]gnet.Option, error) {
	o := cfg.Sockopts
	opts := []gnet.Option{
		gnet.WithMulticore(false),
		gnet.WithNumEventLoop(cfg.Loops),
		// gnet leaves SO_REUSEADDR off unless asked, so a restarted
		// server fails to bind a port with TIME_WAIT connections.
		gnet.WithReuseAddr(!o.NoReuseAddr),
		gnet.WithSocketRecvBuffer(o.RecvBuf),
		gnet.WithSocketSendBuffer(o.SendBuf),
		gnet.WithTicker(true),
		gnet.WithLogger(logger),
	}
	if o.Nagle {
		opts = append(opts, gnet.WithTCPNoDelay(gnet.TCPDelay))
	} else {
		opts = append(opts, gnet.WithTCPNoDelay(gnet.TCPNoDelay))
	}
	if o.KeepAlive > 0 {
		// gnet sets these on the listener, which accepted sockets
		// inherit on Linux. Unlike the other engines, gnet fills an
		// unset interval with KeepAlive/5 and an unset count with 5
		// (setKeepAlive in engine_unix.go).
		opts = append(opts,
			gnet.WithTCPKeepAlive(o.KeepAlive),
			gnet.WithTCPKeepInterval(o.KeepAliveInterval),
			gnet.WithTCPKeepCount(o.KeepAliveCount))
	}
	if cfg.IsUDP() {
		opts = append(opts, gnet.WithReadBufferCap(cfg.UDPBuffer+udpBufferHeadroom))
		return opts, nil
	}
	switch cfg.Balance {
	case engine.BalanceReusePort:
		opts = append(opts, gnet.WithReusePort(true))
	case engine.BalanceLeastConn:
		if o.ReusePort {
			return nil, errReusePortNeedsBalance
		}
		opts = append(opts, gnet.WithLoadBalancing(gnet.LeastConnections))
	default:
		if o.ReusePort {
			return nil, errReusePortNeedsBalance
		}
		opts = append(opts, gnet.WithLoadBalancing(gnet.RoundRobin))
	}
	return opts, nil
}

// reusePortMode reports whether gnet will bind one listener per loop.
func reusePortMode(cfg engine.Config) bool {
	return cfg.IsUDP() || cfg.Balance == engine.BalanceReusePort
}

// reservation holds a port for gnet's listeners.
//
// In ReusePort mode gnet binds the first listener to the address given and
// every other loop's listener to the same address string again
// (engine.runEventLoops in engine_unix.go): with port 0 each of them gets
// a different port, and the port Addr reports reaches one loop only. So
// when several loops must share port 0, the adapter binds a socket with
// SO_REUSEPORT to port 0 first, passes the port the kernel chose to gnet,
// and closes it once gnet's listeners are bound. While it is open, no other
// socket without SO_REUSEPORT can take the port, and bind(2) to port 0
// never hands out a port that is in use.
type reservation struct {
	fd   int
	once sync.Once
}

// reserve returns addr with port 0 replaced by a reserved port, and the
// reservation to release; for any other port it returns addr unchanged.
func reserve(network, addr string) (string, *reservation, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, err
	}
	if port != "0" && port != "" {
		return addr, nil, nil
	}
	typ := unix.SOCK_STREAM
	if network[:3] == "udp" {
		typ = unix.SOCK_DGRAM
	}
	ip := net.ParseIP(host)
	if host != "" && ip == nil {
		addrs, err := net.DefaultResolver.LookupIP(context.Background(), "ip", host)
		if err != nil || len(addrs) == 0 {
			return "", nil, fmt.Errorf("gnet: resolve %q: %w", host, err)
		}
		ip = addrs[0]
	}
	family, sa := unix.AF_INET6, unix.Sockaddr(&unix.SockaddrInet6{})
	if ip4 := ip.To4(); ip4 != nil || network == "tcp4" || network == "udp4" {
		s4 := &unix.SockaddrInet4{}
		copy(s4.Addr[:], ip4)
		family, sa = unix.AF_INET, s4
	} else if ip != nil {
		s6 := &unix.SockaddrInet6{}
		copy(s6.Addr[:], ip.To16())
		sa = s6
	}
	fd, err := unix.Socket(family, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, os.NewSyscallError("socket", err)
	}
	r := &reservation{fd: fd}
	if err := errors.Join(
		os.NewSyscallError("setsockopt SO_REUSEADDR", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)),
		os.NewSyscallError("setsockopt SO_REUSEPORT", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)),
		os.NewSyscallError("bind", unix.Bind(fd, sa)),
	); err != nil {
		r.release()
		return "", nil, err
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		r.release()
		return "", nil, os.NewSyscallError("getsockname", err)
	}
	var p int
	switch b := bound.(type) {
	case *unix.SockaddrInet4:
		p = b.Port
	case *unix.SockaddrInet6:
		p = b.Port
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), r, nil
}

// release closes the reserving socket; it is safe on a nil reservation and
// more than once.
func (r *reservation) release() {
	if r != nil {
		r.once.Do(func() { unix.Close(r.fd) })
	}
}
