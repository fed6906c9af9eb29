package sockopt

import (
	"fmt"
	"math"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/sysfd"
)

// setsockopt and getsockopt do not normally sleep, but signal(7) lists
// socket calls among those a handler may interrupt, so every call goes
// through sysfd.Retry.

// setInt sets an integer option and names the option in the error. Socket
// options take a C int, so a value outside int32 is refused with EINVAL
// rather than silently truncated by the conversion.
func setInt(fd, level, opt int, value int, name string) error {
	if value < math.MinInt32 || value > math.MaxInt32 {
		return os.NewSyscallError("setsockopt "+name,
			fmt.Errorf("value %d does not fit in a C int: %w", value, unix.EINVAL))
	}
	err := sysfd.Retry(func() error { return unix.SetsockoptInt(fd, level, opt, value) })
	if err != nil {
		return os.NewSyscallError("setsockopt "+name, err)
	}
	return nil
}

// getInt reads an integer option and names the option in the error.
func getInt(fd, level, opt int, name string) (int, error) {
	var v int
	err := sysfd.Retry(func() error {
		var err error
		v, err = unix.GetsockoptInt(fd, level, opt)
		return err
	})
	if err != nil {
		return 0, os.NewSyscallError("getsockopt "+name, err)
	}
	return v, nil
}

// setBool sets a flag option to 1 or 0.
func setBool(fd, level, opt int, on bool, name string) error {
	v := 0
	if on {
		v = 1
	}
	return setInt(fd, level, opt, v, name)
}

// getBool reads a flag option; any non-zero value is on.
func getBool(fd, level, opt int, name string) (bool, error) {
	v, err := getInt(fd, level, opt, name)
	return v != 0, err
}

// seconds rounds d up to whole seconds, the unit of the TCP keepalive
// options (tcp(7)), so that a sub-second request does not become 0, which
// the kernel rejects with EINVAL.
func seconds(d time.Duration) int {
	s := d / time.Second
	if d%time.Second > 0 {
		s++
	}
	return int(s)
}

// checkBuf refuses a negative buffer size. Without it the kernel would
// compare the value as unsigned and grant the sysctl maximum instead
// (net/core/sock.c, min_t(u32, val, sysctl_rmem_max)).
func checkBuf(bytes int, name string) error {
	if bytes < 0 {
		return os.NewSyscallError("setsockopt "+name,
			fmt.Errorf("negative buffer size %d: %w", bytes, unix.EINVAL))
	}
	return nil
}

// SetRecvBuf sets SO_RCVBUF to bytes, or SO_RCVBUFFORCE when force is true.
// Linux doubles the value and, without force, first clamps it to
// net.core.rmem_max (socket(7)); SO_RCVBUFFORCE needs CAP_NET_ADMIN. A
// negative size fails with EINVAL.
func SetRecvBuf(fd, bytes int, force bool) error {
	if err := checkBuf(bytes, "SO_RCVBUF"); err != nil {
		return err
	}
	if force {
		return setInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, bytes, "SO_RCVBUFFORCE")
	}
	return setInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, bytes, "SO_RCVBUF")
}

// RecvBuf returns SO_RCVBUF as the kernel reports it: double the size that
// was set (socket(7)).
func RecvBuf(fd int) (int, error) {
	return getInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, "SO_RCVBUF")
}

// SetSendBuf sets SO_SNDBUF to bytes, or SO_SNDBUFFORCE when force is true.
// Linux doubles the value and, without force, first clamps it to
// net.core.wmem_max (socket(7)); SO_SNDBUFFORCE needs CAP_NET_ADMIN. A
// negative size fails with EINVAL.
func SetSendBuf(fd, bytes int, force bool) error {
	if err := checkBuf(bytes, "SO_SNDBUF"); err != nil {
		return err
	}
	if force {
		return setInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, bytes, "SO_SNDBUFFORCE")
	}
	return setInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, bytes, "SO_SNDBUF")
}

// SendBuf returns SO_SNDBUF as the kernel reports it: double the size that
// was set (socket(7)).
func SendBuf(fd int) (int, error) {
	return getInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, "SO_SNDBUF")
}

// SetNoDelay sets TCP_NODELAY, turning Nagle's algorithm off when on is
// true. It fails on sockets that are not TCP.
func SetNoDelay(fd int, on bool) error {
	return setBool(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, on, "TCP_NODELAY")
}

// NoDelay reports TCP_NODELAY. It fails on sockets that are not TCP.
func NoDelay(fd int) (bool, error) {
	return getBool(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, "TCP_NODELAY")
}

// SetReuseAddr sets SO_REUSEADDR; it must precede bind to take effect.
func SetReuseAddr(fd int, on bool) error {
	return setBool(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, on, "SO_REUSEADDR")
}

// ReuseAddr reports SO_REUSEADDR.
func ReuseAddr(fd int) (bool, error) {
	return getBool(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, "SO_REUSEADDR")
}

// SetReusePort sets SO_REUSEPORT; every socket of a group must set it
// before bind (socket(7)).
func SetReusePort(fd int, on bool) error {
	return setBool(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, on, "SO_REUSEPORT")
}

// ReusePort reports SO_REUSEPORT.
func ReusePort(fd int) (bool, error) {
	return getBool(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, "SO_REUSEPORT")
}

// SetKeepAlive sets SO_KEEPALIVE.
func SetKeepAlive(fd int, on bool) error {
	return setBool(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, on, "SO_KEEPALIVE")
}

// KeepAlive reports SO_KEEPALIVE.
func KeepAlive(fd int) (bool, error) {
	return getBool(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, "SO_KEEPALIVE")
}

// SetKeepAliveIdle sets TCP_KEEPIDLE, the idle time before the first probe,
// rounded up to whole seconds. The kernel accepts 1 to 32767 seconds
// (tcp(7), MAX_TCP_KEEPIDLE) and fails with EINVAL otherwise.
func SetKeepAliveIdle(fd int, d time.Duration) error {
	return setInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, seconds(d), "TCP_KEEPIDLE")
}

// KeepAliveIdle reports TCP_KEEPIDLE.
func KeepAliveIdle(fd int) (time.Duration, error) {
	s, err := getInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, "TCP_KEEPIDLE")
	return time.Duration(s) * time.Second, err
}

// SetKeepAliveInterval sets TCP_KEEPINTVL, the time between probes, rounded
// up to whole seconds; the kernel accepts 1 to 32767 seconds (tcp(7)).
func SetKeepAliveInterval(fd int, d time.Duration) error {
	return setInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, seconds(d), "TCP_KEEPINTVL")
}

// KeepAliveInterval reports TCP_KEEPINTVL.
func KeepAliveInterval(fd int) (time.Duration, error) {
	s, err := getInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, "TCP_KEEPINTVL")
	return time.Duration(s) * time.Second, err
}

// SetKeepAliveCount sets TCP_KEEPCNT, the unanswered probes before the
// connection is dropped; the kernel accepts 1 to 127 (tcp(7)).
func SetKeepAliveCount(fd, n int) error {
	return setInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, n, "TCP_KEEPCNT")
}

// KeepAliveCount reports TCP_KEEPCNT.
func KeepAliveCount(fd int) (int, error) {
	return getInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, "TCP_KEEPCNT")
}

// SetQuickAck sets TCP_QUICKACK. The flag is not permanent: the kernel
// leaves quickack mode again on its own (tcp(7)), so callers that want it
// set it after each read.
func SetQuickAck(fd int, on bool) error {
	return setBool(fd, unix.IPPROTO_TCP, unix.TCP_QUICKACK, on, "TCP_QUICKACK")
}

// QuickAck reports whether the socket is in quickack mode right now; the
// answer may change with the next segment received (tcp(7)).
func QuickAck(fd int) (bool, error) {
	return getBool(fd, unix.IPPROTO_TCP, unix.TCP_QUICKACK, "TCP_QUICKACK")
}

// SetBusyPoll sets SO_BUSY_POLL to d in whole microseconds (rounded down).
// Raising it above the socket's current value needs CAP_NET_ADMIN, and
// kernels built without CONFIG_NET_RX_BUSY_POLL reject it with ENOPROTOOPT
// (socket(7)).
func SetBusyPoll(fd int, d time.Duration) error {
	return setInt(fd, unix.SOL_SOCKET, unix.SO_BUSY_POLL, int(d/time.Microsecond), "SO_BUSY_POLL")
}

// BusyPoll reports SO_BUSY_POLL.
func BusyPoll(fd int) (time.Duration, error) {
	us, err := getInt(fd, unix.SOL_SOCKET, unix.SO_BUSY_POLL, "SO_BUSY_POLL")
	return time.Duration(us) * time.Microsecond, err
}
