package sockopt

import (
	"context"
	"errors"
	"math"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestApplyListenerThenRead(t *testing.T) {
	tests := []struct {
		name   string
		socket func(*testing.T) int
		opts   Options
		want   Granted // RecvBuf / SendBuf of 0 mean "the kernel default"
	}{
		{
			name:   "tcp zero value",
			socket: tcpSocket,
			opts:   Options{},
			want:   Granted{ReuseAddr: true},
		},
		{
			name:   "tcp reuseport and buffers",
			socket: tcpSocket,
			opts:   Options{ReusePort: true, RecvBuf: 65536, SendBuf: 32768},
			want:   Granted{ReuseAddr: true, ReusePort: true, RecvBuf: 2 * 65536, SendBuf: 2 * 32768},
		},
		{
			name:   "tcp no reuseaddr",
			socket: tcpSocket,
			opts:   Options{NoReuseAddr: true},
			want:   Granted{},
		},
		{
			name:   "udp buffers",
			socket: udpSocket,
			opts:   Options{RecvBuf: 8192, SendBuf: 16384, ReusePort: true},
			want:   Granted{ReuseAddr: true, ReusePort: true, RecvBuf: 2 * 8192, SendBuf: 2 * 16384},
		},
		{
			name:   "tcp forced buffers",
			socket: tcpSocket,
			opts:   Options{RecvBuf: 4096, SendBuf: 4096, ForceBuf: true},
			want:   Granted{ReuseAddr: true, RecvBuf: 2 * 4096, SendBuf: 2 * 4096},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tt.socket(t)
			defaults, err := Read(fd)
			if err != nil {
				t.Fatalf("Read before: %v", err)
			}
			err = tt.opts.ApplyListener(fd)
			if tt.opts.ForceBuf && errors.Is(err, unix.EPERM) {
				t.Skipf("forced buffers need CAP_NET_ADMIN: %v", err)
			}
			if err != nil {
				t.Fatalf("ApplyListener: %v", err)
			}
			got, err := Read(fd)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			want := tt.want
			if want.RecvBuf == 0 {
				want.RecvBuf = defaults.RecvBuf
			}
			if want.SendBuf == 0 {
				want.SendBuf = defaults.SendBuf
			}
			// A fresh TCP socket reads TCP_NODELAY off; ApplyListener
			// leaves per-connection options alone.
			if got != want {
				t.Errorf("Read = %+v, want %+v", got, want)
			}
		})
	}
}

func TestApplyListenerErrors(t *testing.T) {
	tests := []struct {
		name string
		fd   func(*testing.T) int
		opts Options
		op   string
	}{
		{name: "closed fd", fd: closedFD, opts: Options{}, op: "setsockopt SO_REUSEADDR"},
		{name: "reuseport on unix socket", fd: func(t *testing.T) int { return socketPair(t, unix.SOCK_STREAM) }, opts: Options{ReusePort: true}, op: "setsockopt SO_REUSEPORT"},
		{name: "rcvbuf over C int", fd: tcpSocket, opts: Options{RecvBuf: math.MaxInt32 + 1}, op: "setsockopt SO_RCVBUF"},
		{name: "sndbuf over C int", fd: tcpSocket, opts: Options{SendBuf: math.MaxInt32 + 1}, op: "setsockopt SO_SNDBUF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.ApplyListener(tt.fd(t))
			if err == nil {
				t.Fatal("no error")
			}
			requireSyscallError(t, err, tt.op, nil)
		})
	}
}

// connState is what ApplyConn leaves on a TCP socket.
type connState struct {
	NoDelay   bool
	KeepAlive bool
	Idle      time.Duration
	Interval  time.Duration
	Count     int
	QuickAck  bool
}

func readConnState(t *testing.T, fd int) connState {
	t.Helper()
	var s connState
	var err error
	for _, step := range []func(){
		func() { s.NoDelay, err = NoDelay(fd) },
		func() { s.KeepAlive, err = KeepAlive(fd) },
		func() { s.Idle, err = KeepAliveIdle(fd) },
		func() { s.Interval, err = KeepAliveInterval(fd) },
		func() { s.Count, err = KeepAliveCount(fd) },
		func() { s.QuickAck, err = QuickAck(fd) },
	} {
		if step(); err != nil {
			t.Fatalf("read back: %v", err)
		}
	}
	return s
}

func TestApplyConn(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		// want holds the options ApplyConn sets; keepalive timings left
		// at zero must keep the values the socket had before.
		want connState
	}{
		{
			name: "zero value",
			opts: Options{},
			want: connState{NoDelay: true},
		},
		{
			name: "nagle",
			opts: Options{Nagle: true},
			want: connState{NoDelay: false},
		},
		{
			name: "keepalive idle only",
			opts: Options{KeepAlive: 45 * time.Second},
			want: connState{NoDelay: true, KeepAlive: true, Idle: 45 * time.Second},
		},
		{
			name: "keepalive full",
			opts: Options{KeepAlive: 20 * time.Second, KeepAliveInterval: 4 * time.Second, KeepAliveCount: 6},
			want: connState{NoDelay: true, KeepAlive: true, Idle: 20 * time.Second, Interval: 4 * time.Second, Count: 6},
		},
		{
			name: "quickack",
			opts: Options{QuickAck: true},
			want: connState{NoDelay: true, QuickAck: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tcpSocket(t)
			// Start from the opposite of what is wanted, so that every
			// flag ApplyConn sets is observably changed by it.
			if err := SetNoDelay(fd, !tt.want.NoDelay); err != nil {
				t.Fatal(err)
			}
			if err := SetKeepAlive(fd, !tt.want.KeepAlive); err != nil {
				t.Fatal(err)
			}
			if tt.opts.QuickAck {
				if err := SetQuickAck(fd, false); err != nil {
					t.Fatal(err)
				}
			}
			before := readConnState(t, fd)
			if err := tt.opts.ApplyConn(fd); err != nil {
				t.Fatalf("ApplyConn: %v", err)
			}
			got := readConnState(t, fd)
			want := tt.want
			if want.Idle == 0 {
				want.Idle = before.Idle
			}
			if want.Interval == 0 {
				want.Interval = before.Interval
			}
			if want.Count == 0 {
				want.Count = before.Count
			}
			if !tt.opts.QuickAck {
				want.QuickAck = before.QuickAck
			}
			if got != want {
				t.Errorf("after ApplyConn: %+v, want %+v", got, want)
			}
		})
	}
}

func TestApplyConnBusyPoll(t *testing.T) {
	fd := tcpSocket(t)
	err := Options{BusyPoll: 25 * time.Microsecond}.ApplyConn(fd)
	switch {
	case errors.Is(err, unix.ENOPROTOOPT):
		t.Skipf("kernel built without CONFIG_NET_RX_BUSY_POLL: %v", err)
	case errors.Is(err, unix.EPERM):
		t.Skipf("raising SO_BUSY_POLL needs CAP_NET_ADMIN: %v", err)
	case err != nil:
		t.Fatalf("ApplyConn: %v", err)
	}
	got, err := BusyPoll(fd)
	if err != nil {
		t.Fatal(err)
	}
	if got != 25*time.Microsecond {
		t.Errorf("SO_BUSY_POLL = %v, want 25µs", got)
	}
}

func TestApplyConnErrors(t *testing.T) {
	tests := []struct {
		name string
		fd   func(*testing.T) int
		opts Options
		op   string
	}{
		{name: "udp socket", fd: udpSocket, opts: Options{}, op: "setsockopt TCP_NODELAY"},
		{name: "keepalive on closed fd", fd: closedFD, opts: Options{KeepAlive: time.Second}, op: "setsockopt TCP_NODELAY"},
		{name: "keepalive idle too long", fd: tcpSocket, opts: Options{KeepAlive: 40000 * time.Second}, op: "setsockopt TCP_KEEPIDLE"},
		{name: "keepalive interval too long", fd: tcpSocket, opts: Options{KeepAlive: time.Second, KeepAliveInterval: 40000 * time.Second}, op: "setsockopt TCP_KEEPINTVL"},
		{name: "keepalive count too high", fd: tcpSocket, opts: Options{KeepAlive: time.Second, KeepAliveCount: 128}, op: "setsockopt TCP_KEEPCNT"},
		{name: "busy poll over C int", fd: tcpSocket, opts: Options{BusyPoll: time.Duration(math.MaxInt32+1) * time.Microsecond}, op: "setsockopt SO_BUSY_POLL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.ApplyConn(tt.fd(t))
			if err == nil {
				t.Fatal("no error")
			}
			requireSyscallError(t, err, tt.op, nil)
		})
	}
}

func TestApplyConnKeepAliveOffOnUnixSocket(t *testing.T) {
	// SO_KEEPALIVE exists on every socket, TCP_NODELAY does not: the
	// error must come from the first option ApplyConn tries.
	err := Options{Nagle: true}.ApplyConn(socketPair(t, unix.SOCK_STREAM))
	requireSyscallError(t, err, "setsockopt TCP_NODELAY", unix.EOPNOTSUPP)
}

func TestReadSocketKinds(t *testing.T) {
	tests := []struct {
		name        string
		fd          func(*testing.T) int
		setNoDelay  bool
		wantNoDelay bool
	}{
		{name: "tcp with nodelay", fd: tcpSocket, setNoDelay: true, wantNoDelay: true},
		{name: "tcp without nodelay", fd: tcpSocket, wantNoDelay: false},
		{name: "udp", fd: udpSocket, wantNoDelay: false},
		{name: "unix stream", fd: func(t *testing.T) int { return socketPair(t, unix.SOCK_STREAM) }, wantNoDelay: false},
		{name: "unix datagram", fd: func(t *testing.T) int { return socketPair(t, unix.SOCK_DGRAM) }, wantNoDelay: false},
		{name: "tcp6", fd: func(t *testing.T) int { return newSocket(t, unix.AF_INET6, unix.SOCK_STREAM, 0) }, setNoDelay: true, wantNoDelay: true},
		{name: "mptcp", fd: mptcpSocket, setNoDelay: true, wantNoDelay: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := tt.fd(t)
			if tt.setNoDelay {
				if err := SetNoDelay(fd, true); err != nil {
					t.Fatal(err)
				}
			}
			if err := SetKeepAlive(fd, true); err != nil {
				t.Fatal(err)
			}
			g, err := Read(fd)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if g.NoDelay != tt.wantNoDelay {
				t.Errorf("NoDelay = %v, want %v", g.NoDelay, tt.wantNoDelay)
			}
			if !g.KeepAlive {
				t.Error("KeepAlive = false after SetKeepAlive(true)")
			}
			rcv, _ := RecvBuf(fd)
			snd, _ := SendBuf(fd)
			if g.RecvBuf != rcv || g.SendBuf != snd || g.RecvBuf <= 0 || g.SendBuf <= 0 {
				t.Errorf("buffers %d/%d, getters say %d/%d", g.RecvBuf, g.SendBuf, rcv, snd)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	_, err := Read(closedFD(t))
	requireSyscallError(t, err, "getsockopt SO_RCVBUF", unix.EBADF)
	// A descriptor that is not a socket fails at the first getsockopt.
	fds := make([]int, 2)
	if err := unix.Pipe2(fds, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	_, err = Read(fds[0])
	requireSyscallError(t, err, "getsockopt SO_RCVBUF", unix.ENOTSOCK)
	if _, err := isTCP(fds[0]); err == nil {
		t.Error("isTCP on a pipe: no error")
	}
}

func TestControlInListenConfig(t *testing.T) {
	opts := Options{ReusePort: true, RecvBuf: 65536}
	lc := net.ListenConfig{Control: opts.Control}
	ctx := context.Background()
	first, err := lc.Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("first listen: %v", err)
	}
	t.Cleanup(func() { first.Close() })
	// SO_REUSEPORT on both sockets lets the second bind the same port
	// (socket(7)).
	second, err := lc.Listen(ctx, "tcp4", first.Addr().String())
	if err != nil {
		t.Fatalf("second listen on %s with SO_REUSEPORT: %v", first.Addr(), err)
	}
	t.Cleanup(func() { second.Close() })

	for _, ln := range []net.Listener{first, second} {
		g, err := ReadRawConn(rawConn(t, ln.(*net.TCPListener)))
		if err != nil {
			t.Fatalf("ReadRawConn: %v", err)
		}
		want := Granted{RecvBuf: 2 * 65536, ReuseAddr: true, ReusePort: true}
		g.SendBuf = 0
		if g != want {
			t.Errorf("listener %s: %+v, want %+v", ln.Addr(), g, want)
		}
	}

	// Without SO_REUSEPORT the port is taken.
	plain := net.ListenConfig{Control: Options{}.Control}
	if ln, err := plain.Listen(ctx, "tcp4", first.Addr().String()); err == nil {
		ln.Close()
		t.Fatal("listen without SO_REUSEPORT on a taken port succeeded")
	} else if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("listen without SO_REUSEPORT: %v, want EADDRINUSE", err)
	}
}

func TestControlUDP(t *testing.T) {
	opts := Options{ReusePort: true, RecvBuf: 16384, SendBuf: 16384}
	lc := net.ListenConfig{Control: opts.Control}
	ctx := context.Background()
	a, err := lc.ListenPacket(ctx, "udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := lc.ListenPacket(ctx, "udp4", a.LocalAddr().String())
	if err != nil {
		t.Fatalf("second listen with SO_REUSEPORT: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	g, err := ReadRawConn(rawConn(t, a.(*net.UDPConn)))
	if err != nil {
		t.Fatal(err)
	}
	want := Granted{RecvBuf: 2 * 16384, SendBuf: 2 * 16384, ReuseAddr: true, ReusePort: true}
	if g != want {
		t.Errorf("udp socket: %+v, want %+v", g, want)
	}
}

func TestControlErrorFailsListen(t *testing.T) {
	lc := net.ListenConfig{Control: Options{RecvBuf: math.MaxInt32 + 1}.Control}
	ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err == nil {
		ln.Close()
		t.Fatal("listen succeeded although Control failed")
	}
	requireSyscallError(t, err, "setsockopt SO_RCVBUF", unix.EINVAL)
}

func TestApplyRawConnOnAcceptedConn(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want connState
	}{
		{
			// Go turns keepalive on for accepted connections; the zero
			// Options turn it off again.
			name: "zero value",
			opts: Options{},
			want: connState{NoDelay: true},
		},
		{
			name: "nagle with keepalive",
			opts: Options{Nagle: true, KeepAlive: 30 * time.Second, KeepAliveInterval: 5 * time.Second, KeepAliveCount: 3},
			want: connState{KeepAlive: true, Idle: 30 * time.Second, Interval: 5 * time.Second, Count: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, _ := loopbackPair(t)
			rc := rawConn(t, server)
			if err := tt.opts.ApplyRawConn(rc); err != nil {
				t.Fatalf("ApplyRawConn: %v", err)
			}
			var got connState
			withFD(t, rc, func(fd int) { got = readConnState(t, fd) })
			want := tt.want
			if tt.opts.KeepAlive == 0 {
				want.Idle, want.Interval, want.Count = got.Idle, got.Interval, got.Count
			}
			want.QuickAck = got.QuickAck
			if got != want {
				t.Errorf("accepted conn: %+v, want %+v", got, want)
			}
			g, err := ReadRawConn(rc)
			if err != nil {
				t.Fatal(err)
			}
			if g.NoDelay != want.NoDelay || g.KeepAlive != want.KeepAlive {
				t.Errorf("ReadRawConn: %+v disagrees with %+v", g, want)
			}
		})
	}
}

func TestRawConnErrors(t *testing.T) {
	server, _ := loopbackPair(t)
	closed := rawConn(t, server)
	if err := server.Close(); err != nil {
		t.Fatal(err)
	}
	readRawConn := func(c syscall.RawConn) error {
		g, err := ReadRawConn(c)
		if err != nil && g != (Granted{}) {
			t.Errorf("ReadRawConn returned %+v with its error", g)
		}
		return err
	}
	control := func(c syscall.RawConn) error { return Options{}.Control("tcp4", "127.0.0.1:0", c) }
	tests := []struct {
		name string
		call func(c syscall.RawConn) error
		conn func(t *testing.T) syscall.RawConn
		is   error  // wrapped by the error
		op   string // syscall named by the error, when it comes from an option
	}{
		{name: "ApplyRawConn/closed conn", call: Options{}.ApplyRawConn, conn: func(*testing.T) syscall.RawConn { return closed }, is: net.ErrClosed},
		{name: "Control/closed conn", call: control, conn: func(*testing.T) syscall.RawConn { return closed }, is: net.ErrClosed},
		{name: "ReadRawConn/closed conn", call: readRawConn, conn: func(*testing.T) syscall.RawConn { return closed }, is: net.ErrClosed},
		{
			name: "ApplyRawConn/unix socket", call: Options{}.ApplyRawConn,
			conn: func(t *testing.T) syscall.RawConn { return fixedFDRawConn{fd: socketPair(t, unix.SOCK_STREAM)} },
			is:   unix.EOPNOTSUPP, op: "setsockopt TCP_NODELAY",
		},
		{
			name: "Control/closed fd", call: control,
			conn: func(t *testing.T) syscall.RawConn { return fixedFDRawConn{fd: closedFD(t)} },
			is:   unix.EBADF, op: "setsockopt SO_REUSEADDR",
		},
		{
			name: "ReadRawConn/closed fd", call: readRawConn,
			conn: func(t *testing.T) syscall.RawConn { return fixedFDRawConn{fd: closedFD(t)} },
			is:   unix.EBADF, op: "getsockopt SO_RCVBUF",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(tt.conn(t))
			if !errors.Is(err, tt.is) {
				t.Fatalf("got %v, want %v", err, tt.is)
			}
			if tt.op != "" {
				requireSyscallError(t, err, tt.op, tt.is)
			}
		})
	}
}

// fixedFDRawConn is a syscall.RawConn over a plain descriptor.
type fixedFDRawConn struct{ fd int }

func (c fixedFDRawConn) Control(f func(fd uintptr)) error    { f(uintptr(c.fd)); return nil }
func (c fixedFDRawConn) Read(f func(fd uintptr) bool) error  { f(uintptr(c.fd)); return nil }
func (c fixedFDRawConn) Write(f func(fd uintptr) bool) error { f(uintptr(c.fd)); return nil }

// mptcpSocket opens an MPTCP socket, as Go's net.Listen does by default
// since Go 1.24 where the kernel allows it, or skips when it does not.
func mptcpSocket(t *testing.T) int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP)
	if err != nil {
		t.Skipf("kernel offers no MPTCP sockets (net.mptcp.enabled=0 or not built in): %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}
