package sockopt

import (
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestBoolOptionsRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		socket func(*testing.T) int
		set    func(fd int, on bool) error
		get    func(fd int) (bool, error)
	}{
		{name: "tcp/TCP_NODELAY", socket: tcpSocket, set: SetNoDelay, get: NoDelay},
		{name: "tcp/SO_REUSEADDR", socket: tcpSocket, set: SetReuseAddr, get: ReuseAddr},
		{name: "tcp/SO_REUSEPORT", socket: tcpSocket, set: SetReusePort, get: ReusePort},
		{name: "tcp/SO_KEEPALIVE", socket: tcpSocket, set: SetKeepAlive, get: KeepAlive},
		{name: "tcp/TCP_QUICKACK", socket: tcpSocket, set: SetQuickAck, get: QuickAck},
		{name: "udp/SO_REUSEADDR", socket: udpSocket, set: SetReuseAddr, get: ReuseAddr},
		{name: "udp/SO_REUSEPORT", socket: udpSocket, set: SetReusePort, get: ReusePort},
		{name: "udp/SO_KEEPALIVE", socket: udpSocket, set: SetKeepAlive, get: KeepAlive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tt.socket(t)
			for _, on := range []bool{true, false, true} {
				if err := tt.set(fd, on); err != nil {
					t.Fatalf("set %v: %v", on, err)
				}
				got, err := tt.get(fd)
				if err != nil {
					t.Fatalf("get: %v", err)
				}
				if got != on {
					t.Errorf("set %v, read back %v", on, got)
				}
			}
		})
	}
}

func TestDurationOptionsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		set  func(fd int, d time.Duration) error
		get  func(fd int) (time.Duration, error)
		in   time.Duration
		want time.Duration
	}{
		{name: "TCP_KEEPIDLE whole seconds", set: SetKeepAliveIdle, get: KeepAliveIdle, in: 30 * time.Second, want: 30 * time.Second},
		{name: "TCP_KEEPIDLE rounds up", set: SetKeepAliveIdle, get: KeepAliveIdle, in: 1500 * time.Millisecond, want: 2 * time.Second},
		{name: "TCP_KEEPIDLE sub-second becomes 1s", set: SetKeepAliveIdle, get: KeepAliveIdle, in: time.Nanosecond, want: time.Second},
		{name: "TCP_KEEPINTVL whole seconds", set: SetKeepAliveInterval, get: KeepAliveInterval, in: 7 * time.Second, want: 7 * time.Second},
		{name: "TCP_KEEPINTVL rounds up", set: SetKeepAliveInterval, get: KeepAliveInterval, in: 2*time.Second + 1, want: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tcpSocket(t)
			if err := tt.set(fd, tt.in); err != nil {
				t.Fatalf("set %v: %v", tt.in, err)
			}
			got, err := tt.get(fd)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if got != tt.want {
				t.Errorf("set %v, read back %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestKeepAliveCountRoundTrip(t *testing.T) {
	for _, n := range []int{1, 5, 127} {
		fd := tcpSocket(t)
		if err := SetKeepAliveCount(fd, n); err != nil {
			t.Fatalf("SetKeepAliveCount(%d): %v", n, err)
		}
		got, err := KeepAliveCount(fd)
		if err != nil {
			t.Fatalf("KeepAliveCount: %v", err)
		}
		if got != n {
			t.Errorf("set %d, read back %d", n, got)
		}
	}
}

func TestBusyPollRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   time.Duration
		want time.Duration
	}{
		{name: "whole microseconds", in: 50 * time.Microsecond, want: 50 * time.Microsecond},
		{name: "rounds down", in: 1500 * time.Nanosecond, want: time.Microsecond},
		{name: "off", in: 0, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tcpSocket(t)
			err := SetBusyPoll(fd, tt.in)
			switch {
			case errors.Is(err, unix.ENOPROTOOPT):
				t.Skipf("kernel built without CONFIG_NET_RX_BUSY_POLL: %v", err)
			case errors.Is(err, unix.EPERM):
				t.Skipf("raising SO_BUSY_POLL needs CAP_NET_ADMIN: %v", err)
			case err != nil:
				t.Fatalf("SetBusyPoll(%v): %v", tt.in, err)
			}
			got, err := BusyPoll(fd)
			if err != nil {
				t.Fatalf("BusyPoll: %v", err)
			}
			if got != tt.want {
				t.Errorf("set %v, read back %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// bufOps names the getter and setter of one buffer and its sysctl limit.
var bufOps = []struct {
	name  string
	limit string
	set   func(fd, bytes int, force bool) error
	get   func(fd int) (int, error)
}{
	{name: "SO_RCVBUF", limit: "net.core.rmem_max", set: SetRecvBuf, get: RecvBuf},
	{name: "SO_SNDBUF", limit: "net.core.wmem_max", set: SetSendBuf, get: SendBuf},
}

func TestBuffersAreDoubled(t *testing.T) {
	for _, op := range bufOps {
		for _, sock := range []struct {
			name   string
			socket func(*testing.T) int
		}{{name: "tcp", socket: tcpSocket}, {name: "udp", socket: udpSocket}} {
			t.Run(op.name+"/"+sock.name, func(t *testing.T) {
				max := readSysctl(t, op.limit)
				for _, req := range []int{4096, 65536} {
					if req > max {
						t.Skipf("%s=%d is below the %d-byte request", op.limit, max, req)
					}
					fd := sock.socket(t)
					if err := op.set(fd, req, false); err != nil {
						t.Fatalf("set %d: %v", req, err)
					}
					got, err := op.get(fd)
					if err != nil {
						t.Fatalf("get: %v", err)
					}
					// socket(7): "The kernel doubles this value".
					if got != 2*req {
						t.Errorf("set %d, read back %d, want %d", req, got, 2*req)
					}
				}
			})
		}
	}
}

func TestBuffersClampedBySysctl(t *testing.T) {
	for _, op := range bufOps {
		t.Run(op.name, func(t *testing.T) {
			max := readSysctl(t, op.limit)
			req := 2 * max
			if req > math.MaxInt32 {
				t.Skipf("%s=%d leaves no room to ask for more", op.limit, max)
			}
			fd := tcpSocket(t)
			if err := op.set(fd, req, false); err != nil {
				t.Fatalf("set %d: %v", req, err)
			}
			got, err := op.get(fd)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if got != 2*max {
				t.Errorf("asked %d with %s=%d: granted %d, want the doubled limit %d", req, op.limit, max, got, 2*max)
			}
		})
	}
}

func TestForceBufBeatsClamp(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SO_RCVBUFFORCE and SO_SNDBUFFORCE need CAP_NET_ADMIN; run as root to test them")
	}
	for _, op := range bufOps {
		t.Run(op.name, func(t *testing.T) {
			max := readSysctl(t, op.limit)
			req := 2 * max
			if req > forceableMax {
				t.Skipf("%s=%d is too close to the kernel's INT_MAX/2 cap to exceed", op.limit, max)
			}
			fd := tcpSocket(t)
			err := op.set(fd, req, true)
			if errors.Is(err, unix.EPERM) {
				t.Skipf("root without CAP_NET_ADMIN in the initial user namespace: %v", err)
			}
			if err != nil {
				t.Fatalf("forced set %d: %v", req, err)
			}
			got, err := op.get(fd)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if got != 2*req {
				t.Errorf("forced %d past %s=%d: granted %d, want %d", req, op.limit, max, got, 2*req)
			}
		})
	}
}

func TestBadArguments(t *testing.T) {
	tests := []struct {
		name string
		call func(fd int) error
		op   string
		want error
	}{
		{name: "negative SO_RCVBUF", call: func(fd int) error { return SetRecvBuf(fd, -1, false) }, op: "setsockopt SO_RCVBUF", want: unix.EINVAL},
		{name: "negative SO_SNDBUF", call: func(fd int) error { return SetSendBuf(fd, -1, true) }, op: "setsockopt SO_SNDBUF", want: unix.EINVAL},
		{name: "SO_RCVBUF over C int", call: func(fd int) error { return SetRecvBuf(fd, math.MaxInt32+1, false) }, op: "setsockopt SO_RCVBUF", want: unix.EINVAL},
		{name: "SO_BUSY_POLL over C int", call: func(fd int) error { return SetBusyPoll(fd, time.Duration(math.MaxInt32+1)*time.Microsecond) }, op: "setsockopt SO_BUSY_POLL", want: unix.EINVAL},
		{name: "TCP_KEEPCNT under C int", call: func(fd int) error { return SetKeepAliveCount(fd, math.MinInt32-1) }, op: "setsockopt TCP_KEEPCNT", want: unix.EINVAL},
		{name: "TCP_KEEPIDLE zero", call: func(fd int) error { return SetKeepAliveIdle(fd, 0) }, op: "setsockopt TCP_KEEPIDLE", want: unix.EINVAL},
		{name: "TCP_KEEPIDLE over 32767s", call: func(fd int) error { return SetKeepAliveIdle(fd, 32768*time.Second) }, op: "setsockopt TCP_KEEPIDLE", want: unix.EINVAL},
		{name: "TCP_KEEPINTVL zero", call: func(fd int) error { return SetKeepAliveInterval(fd, 0) }, op: "setsockopt TCP_KEEPINTVL", want: unix.EINVAL},
		{name: "TCP_KEEPCNT zero", call: func(fd int) error { return SetKeepAliveCount(fd, 0) }, op: "setsockopt TCP_KEEPCNT", want: unix.EINVAL},
		{name: "TCP_KEEPCNT over 127", call: func(fd int) error { return SetKeepAliveCount(fd, 128) }, op: "setsockopt TCP_KEEPCNT", want: unix.EINVAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(tcpSocket(t))
			if err == nil {
				t.Fatal("no error")
			}
			requireSyscallError(t, err, tt.op, tt.want)
		})
	}
}

func TestTCPOptionsFailOnOtherSockets(t *testing.T) {
	tests := []struct {
		name   string
		socket func(*testing.T) int
	}{
		{name: "udp", socket: udpSocket},
		{name: "unix stream", socket: func(t *testing.T) int { return socketPair(t, unix.SOCK_STREAM) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tt.socket(t)
			if err := SetNoDelay(fd, true); err == nil {
				t.Error("SetNoDelay succeeded on a socket that is not TCP")
			} else {
				requireSyscallError(t, err, "setsockopt TCP_NODELAY", nil)
			}
			if _, err := NoDelay(fd); err == nil {
				t.Error("NoDelay succeeded on a socket that is not TCP")
			} else {
				requireSyscallError(t, err, "getsockopt TCP_NODELAY", nil)
			}
		})
	}
}

func TestErrorsOnInvalidFD(t *testing.T) {
	calls := []struct {
		op   string
		call func(fd int) error
	}{
		{op: "setsockopt SO_RCVBUF", call: func(fd int) error { return SetRecvBuf(fd, 4096, false) }},
		{op: "setsockopt SO_RCVBUFFORCE", call: func(fd int) error { return SetRecvBuf(fd, 4096, true) }},
		{op: "getsockopt SO_RCVBUF", call: func(fd int) error { _, err := RecvBuf(fd); return err }},
		{op: "setsockopt SO_SNDBUF", call: func(fd int) error { return SetSendBuf(fd, 4096, false) }},
		{op: "setsockopt SO_SNDBUFFORCE", call: func(fd int) error { return SetSendBuf(fd, 4096, true) }},
		{op: "getsockopt SO_SNDBUF", call: func(fd int) error { _, err := SendBuf(fd); return err }},
		{op: "setsockopt TCP_NODELAY", call: func(fd int) error { return SetNoDelay(fd, true) }},
		{op: "getsockopt TCP_NODELAY", call: func(fd int) error { _, err := NoDelay(fd); return err }},
		{op: "setsockopt SO_REUSEADDR", call: func(fd int) error { return SetReuseAddr(fd, true) }},
		{op: "getsockopt SO_REUSEADDR", call: func(fd int) error { _, err := ReuseAddr(fd); return err }},
		{op: "setsockopt SO_REUSEPORT", call: func(fd int) error { return SetReusePort(fd, true) }},
		{op: "getsockopt SO_REUSEPORT", call: func(fd int) error { _, err := ReusePort(fd); return err }},
		{op: "setsockopt SO_KEEPALIVE", call: func(fd int) error { return SetKeepAlive(fd, true) }},
		{op: "getsockopt SO_KEEPALIVE", call: func(fd int) error { _, err := KeepAlive(fd); return err }},
		{op: "setsockopt TCP_KEEPIDLE", call: func(fd int) error { return SetKeepAliveIdle(fd, time.Second) }},
		{op: "getsockopt TCP_KEEPIDLE", call: func(fd int) error { _, err := KeepAliveIdle(fd); return err }},
		{op: "setsockopt TCP_KEEPINTVL", call: func(fd int) error { return SetKeepAliveInterval(fd, time.Second) }},
		{op: "getsockopt TCP_KEEPINTVL", call: func(fd int) error { _, err := KeepAliveInterval(fd); return err }},
		{op: "setsockopt TCP_KEEPCNT", call: func(fd int) error { return SetKeepAliveCount(fd, 3) }},
		{op: "getsockopt TCP_KEEPCNT", call: func(fd int) error { _, err := KeepAliveCount(fd); return err }},
		{op: "setsockopt TCP_QUICKACK", call: func(fd int) error { return SetQuickAck(fd, true) }},
		{op: "getsockopt TCP_QUICKACK", call: func(fd int) error { _, err := QuickAck(fd); return err }},
		{op: "setsockopt SO_BUSY_POLL", call: func(fd int) error { return SetBusyPoll(fd, time.Microsecond) }},
		{op: "getsockopt SO_BUSY_POLL", call: func(fd int) error { _, err := BusyPoll(fd); return err }},
	}
	fds := []struct {
		name string
		fd   func(*testing.T) int
	}{
		{name: "closed", fd: closedFD},
		{name: "negative", fd: func(*testing.T) int { return -1 }},
	}
	for _, f := range fds {
		for _, c := range calls {
			t.Run(f.name+"/"+c.op, func(t *testing.T) {
				err := c.call(f.fd(t))
				if err == nil {
					t.Fatal("no error")
				}
				requireSyscallError(t, err, c.op, unix.EBADF)
			})
		}
	}
}

func TestSeconds(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want int
	}{
		{in: 0, want: 0},
		{in: time.Nanosecond, want: 1},
		{in: time.Second, want: 1},
		{in: 1500 * time.Millisecond, want: 2},
		{in: -time.Second, want: -1},
		{in: -1500 * time.Millisecond, want: -1},
	}
	for _, tt := range tests {
		if got := seconds(tt.in); got != tt.want {
			t.Errorf("seconds(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
