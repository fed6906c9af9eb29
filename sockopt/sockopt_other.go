//go:build !linux

package sockopt

import (
	"syscall"
	"time"
)

// SetRecvBuf returns ErrUnsupported outside Linux.
func SetRecvBuf(fd, bytes int, force bool) error { return ErrUnsupported }

// RecvBuf returns ErrUnsupported outside Linux.
func RecvBuf(fd int) (int, error) { return 0, ErrUnsupported }

// SetSendBuf returns ErrUnsupported outside Linux.
func SetSendBuf(fd, bytes int, force bool) error { return ErrUnsupported }

// SendBuf returns ErrUnsupported outside Linux.
func SendBuf(fd int) (int, error) { return 0, ErrUnsupported }

// SetNoDelay returns ErrUnsupported outside Linux.
func SetNoDelay(fd int, on bool) error { return ErrUnsupported }

// NoDelay returns ErrUnsupported outside Linux.
func NoDelay(fd int) (bool, error) { return false, ErrUnsupported }

// SetReuseAddr returns ErrUnsupported outside Linux.
func SetReuseAddr(fd int, on bool) error { return ErrUnsupported }

// ReuseAddr returns ErrUnsupported outside Linux.
func ReuseAddr(fd int) (bool, error) { return false, ErrUnsupported }

// SetReusePort returns ErrUnsupported outside Linux.
func SetReusePort(fd int, on bool) error { return ErrUnsupported }

// ReusePort returns ErrUnsupported outside Linux.
func ReusePort(fd int) (bool, error) { return false, ErrUnsupported }

// SetKeepAlive returns ErrUnsupported outside Linux.
func SetKeepAlive(fd int, on bool) error { return ErrUnsupported }

// KeepAlive returns ErrUnsupported outside Linux.
func KeepAlive(fd int) (bool, error) { return false, ErrUnsupported }

// SetKeepAliveIdle returns ErrUnsupported outside Linux.
func SetKeepAliveIdle(fd int, d time.Duration) error { return ErrUnsupported }

// KeepAliveIdle returns ErrUnsupported outside Linux.
func KeepAliveIdle(fd int) (time.Duration, error) { return 0, ErrUnsupported }

// SetKeepAliveInterval returns ErrUnsupported outside Linux.
func SetKeepAliveInterval(fd int, d time.Duration) error { return ErrUnsupported }

// KeepAliveInterval returns ErrUnsupported outside Linux.
func KeepAliveInterval(fd int) (time.Duration, error) { return 0, ErrUnsupported }

// SetKeepAliveCount returns ErrUnsupported outside Linux.
func SetKeepAliveCount(fd, n int) error { return ErrUnsupported }

// KeepAliveCount returns ErrUnsupported outside Linux.
func KeepAliveCount(fd int) (int, error) { return 0, ErrUnsupported }

// SetQuickAck returns ErrUnsupported outside Linux.
func SetQuickAck(fd int, on bool) error { return ErrUnsupported }

// QuickAck returns ErrUnsupported outside Linux.
func QuickAck(fd int) (bool, error) { return false, ErrUnsupported }

// SetBusyPoll returns ErrUnsupported outside Linux.
func SetBusyPoll(fd int, d time.Duration) error { return ErrUnsupported }

// BusyPoll returns ErrUnsupported outside Linux.
func BusyPoll(fd int) (time.Duration, error) { return 0, ErrUnsupported }

// ApplyListener returns ErrUnsupported outside Linux.
func (o Options) ApplyListener(fd int) error { return ErrUnsupported }

// ApplyConn returns ErrUnsupported outside Linux.
func (o Options) ApplyConn(fd int) error { return ErrUnsupported }

// Control returns ErrUnsupported outside Linux, so a net.ListenConfig using
// it fails instead of silently listening without the options.
func (o Options) Control(network, address string, c syscall.RawConn) error {
	return ErrUnsupported
}

// ApplyRawConn returns ErrUnsupported outside Linux.
func (o Options) ApplyRawConn(c syscall.RawConn) error { return ErrUnsupported }

// Read returns ErrUnsupported outside Linux.
func Read(fd int) (Granted, error) { return Granted{}, ErrUnsupported }

// ReadRawConn returns ErrUnsupported outside Linux.
func ReadRawConn(c syscall.RawConn) (Granted, error) { return Granted{}, ErrUnsupported }

// sysctl returns ErrUnsupported outside Linux.
func sysctl(name string) (int, error) { return 0, ErrUnsupported }
