package sockopt

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// ApplyListener sets the options that must precede bind or listen:
// SO_REUSEADDR (on unless NoReuseAddr), SO_REUSEPORT when ReusePort, and
// SO_RCVBUF / SO_SNDBUF when RecvBuf / SendBuf are positive. It is all that
// applies to a UDP socket. Buffer sizes go on the listener because the TCP
// window scale is chosen in the SYN and accepted sockets inherit them
// (tcp(7)). It stops at the first option the kernel refuses.
func (o Options) ApplyListener(fd int) error {
	if err := SetReuseAddr(fd, !o.NoReuseAddr); err != nil {
		return err
	}
	if o.ReusePort {
		if err := SetReusePort(fd, true); err != nil {
			return err
		}
	}
	if o.RecvBuf > 0 {
		if err := SetRecvBuf(fd, o.RecvBuf, o.ForceBuf); err != nil {
			return err
		}
	}
	if o.SendBuf > 0 {
		if err := SetSendBuf(fd, o.SendBuf, o.ForceBuf); err != nil {
			return err
		}
	}
	return nil
}

// ApplyConn sets the per-connection options on an accepted TCP socket:
// TCP_NODELAY (on unless Nagle), SO_KEEPALIVE (on when KeepAlive is
// positive, with TCP_KEEPIDLE, and TCP_KEEPINTVL / TCP_KEEPCNT when set;
// explicitly off otherwise, because Go's net package turns it on for
// accepted connections by default, see net.ListenConfig.KeepAlive),
// TCP_QUICKACK when QuickAck, and SO_BUSY_POLL when BusyPoll is positive.
// It stops at the first option the kernel refuses.
func (o Options) ApplyConn(fd int) error {
	if err := SetNoDelay(fd, !o.Nagle); err != nil {
		return err
	}
	if err := SetKeepAlive(fd, o.KeepAlive > 0); err != nil {
		return err
	}
	if o.KeepAlive > 0 {
		if err := SetKeepAliveIdle(fd, o.KeepAlive); err != nil {
			return err
		}
		if o.KeepAliveInterval > 0 {
			if err := SetKeepAliveInterval(fd, o.KeepAliveInterval); err != nil {
				return err
			}
		}
		if o.KeepAliveCount > 0 {
			if err := SetKeepAliveCount(fd, o.KeepAliveCount); err != nil {
				return err
			}
		}
	}
	if o.QuickAck {
		if err := SetQuickAck(fd, true); err != nil {
			return err
		}
	}
	if o.BusyPoll > 0 {
		if err := SetBusyPoll(fd, o.BusyPoll); err != nil {
			return err
		}
	}
	return nil
}

// Control runs ApplyListener on the socket behind c. Its signature matches
// net.ListenConfig.Control and net.Dialer.Control, which call it after
// socket and before bind.
func (o Options) Control(network, address string, c syscall.RawConn) error {
	var err error
	cerr := c.Control(func(fd uintptr) { err = o.ApplyListener(int(fd)) })
	return errors.Join(cerr, err)
}

// ApplyRawConn runs ApplyConn on the socket behind c, as obtained from
// (*net.TCPConn).SyscallConn.
func (o Options) ApplyRawConn(c syscall.RawConn) error {
	var err error
	cerr := c.Control(func(fd uintptr) { err = o.ApplyConn(int(fd)) })
	return errors.Join(cerr, err)
}

// Read reads back the options the kernel holds for fd. NoDelay is read
// only for TCP sockets (SO_TYPE SOCK_STREAM and SO_PROTOCOL IPPROTO_TCP)
// and is false for any other socket, where TCP_NODELAY does not exist.
func Read(fd int) (Granted, error) {
	var g Granted
	var err error
	if g.RecvBuf, err = RecvBuf(fd); err != nil {
		return Granted{}, err
	}
	if g.SendBuf, err = SendBuf(fd); err != nil {
		return Granted{}, err
	}
	if g.ReuseAddr, err = ReuseAddr(fd); err != nil {
		return Granted{}, err
	}
	if g.ReusePort, err = ReusePort(fd); err != nil {
		return Granted{}, err
	}
	if g.KeepAlive, err = KeepAlive(fd); err != nil {
		return Granted{}, err
	}
	tcp, err := isTCP(fd)
	if err != nil {
		return Granted{}, err
	}
	if tcp {
		if g.NoDelay, err = NoDelay(fd); err != nil {
			return Granted{}, err
		}
	}
	return g, nil
}

// ReadRawConn runs Read on the socket behind c.
func ReadRawConn(c syscall.RawConn) (Granted, error) {
	var g Granted
	var err error
	cerr := c.Control(func(fd uintptr) { g, err = Read(int(fd)) })
	if err := errors.Join(cerr, err); err != nil {
		return Granted{}, err
	}
	return g, nil
}

// isTCP reports whether fd is a TCP socket. SO_PROTOCOL tells TCP from
// other stream protocols such as AF_UNIX or SCTP (socket(7)).
func isTCP(fd int) (bool, error) {
	typ, err := getInt(fd, unix.SOL_SOCKET, unix.SO_TYPE, "SO_TYPE")
	if err != nil {
		return false, err
	}
	if typ != unix.SOCK_STREAM {
		return false, nil
	}
	proto, err := getInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL, "SO_PROTOCOL")
	if err != nil {
		return false, err
	}
	// Go 1.24+ listeners use MPTCP by default where the kernel offers it
	// (net.ListenConfig.SetMultipathTCP); an MPTCP socket takes the TCP
	// options at SOL_TCP too (mptcp(7)).
	return proto == unix.IPPROTO_TCP || proto == unix.IPPROTO_MPTCP, nil
}
