//go:build linux

package epoll_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/epoll"
)

// Idle memory measurement: a server in a child process, 10,000
// connections that each echo once and then stay open, and the growth of
// the child's VmRSS divided by the connection count.
const (
	idleConns       = 10000
	idleSources     = 10  // 127.0.0.2 ... 127.0.0.11
	idleWarmup      = 200 // connections opened and closed before the baseline
	idleBudget      = 256 // bytes of RSS per idle connection
	idleEnv         = "RAWNET_IDLE_RSS"
	idleChildEnv    = "RAWNET_IDLE_RSS_CHILD"
	idleMessageSize = 64
)

// TestIdleRSS measures the server's resident memory per idle connection.
// Each of the two processes holds 10,000 descriptors, so it runs only when
// RAWNET_IDLE_RSS is set:
//
//	RAWNET_IDLE_RSS=1 go test -run TestIdleRSS -v ./engine/epoll/
func TestIdleRSS(t *testing.T) {
	if os.Getenv(idleEnv) == "" || testing.Short() {
		t.Skipf("set %s=1 to open %d connections and measure RSS per idle connection", idleEnv, idleConns)
	}
	raiseNoFile(t, idleConns+1000)
	child, addr, port := startIdleChild(t)

	warm := openIdle(t, port, idleWarmup)
	closeAll(warm)
	time.Sleep(300 * time.Millisecond) // let the server close the warm-up connections
	before := vmRSS(t, child)

	conns := openIdle(t, port, idleConns)
	t.Cleanup(func() { closeAll(conns) })
	after := vmRSS(t, child)
	time.Sleep(2 * time.Second)
	settled := vmRSS(t, child)

	per := float64(after-before) / idleConns
	perSettled := float64(settled-before) / idleConns
	t.Logf("server %s: VmRSS %d KiB before, %d KiB with %d idle connections (%.0f B/conn), %d KiB 2 s later (%.0f B/conn)",
		addr, before>>10, after>>10, idleConns, per, settled>>10, perSettled)
	if per > idleBudget {
		t.Errorf("idle connections cost %.0f bytes of RSS each, over the %d-byte budget", per, idleBudget)
	}
}

// TestIdleRSSChild is the server side of TestIdleRSS: it prints its
// address and serves until its standard input closes.
func TestIdleRSSChild(t *testing.T) {
	if os.Getenv(idleChildEnv) == "" {
		t.Skip("server process of TestIdleRSS")
	}
	srv, err := epoll.Engine{}.Start(engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("ADDR %s\n", srv.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// raiseNoFile lifts RLIMIT_NOFILE to at least n descriptors per process;
// the child inherits it. Raising the hard limit needs CAP_SYS_RESOURCE.
func raiseNoFile(t *testing.T, n uint64) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	if old.Cur >= n {
		return
	}
	lim := unix.Rlimit{Cur: n, Max: max(n, old.Max)}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("cannot raise RLIMIT_NOFILE from %d/%d to %d: %v", old.Cur, old.Max, n, err)
	}
	t.Cleanup(func() { _ = unix.Setrlimit(unix.RLIMIT_NOFILE, &old) })
}

// startIdleChild re-executes the test binary as the server and returns
// its pid, address and port.
func startIdleChild(t *testing.T) (pid int, addr string, port int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleRSSChild$", "-test.v")
	cmd.Env = append(os.Environ(), idleChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			addr = a
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	_, p, ok := strings.Cut(addr, ":")
	if !ok {
		t.Fatalf("child printed no address")
	}
	if port, err = strconv.Atoi(p); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid, addr, port
}

// openIdle opens n blocking connections from idleSources loopback
// addresses, echoes one message on each and leaves them open.
func openIdle(t *testing.T, port, n int) []int {
	t.Helper()
	msg := make([]byte, idleMessageSize)
	buf := make([]byte, idleMessageSize)
	fds := make([]int, 0, n)
	for i := range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			closeAll(fds)
			t.Fatalf("socket %d: %v", i, err)
		}
		fds = append(fds, fd)
		src := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, byte(2 + i%idleSources)}}
		if err := unix.Bind(fd, src); err != nil {
			closeAll(fds)
			t.Fatalf("bind %d: %v", i, err)
		}
		if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			closeAll(fds)
			t.Fatalf("connect %d: %v", i, err)
		}
		if _, err := unix.Write(fd, msg); err != nil {
			closeAll(fds)
			t.Fatalf("write %d: %v", i, err)
		}
		for got := 0; got < len(buf); {
			m, err := unix.Read(fd, buf[got:])
			if err != nil || m == 0 {
				closeAll(fds)
				t.Fatalf("read %d: %d, %v", i, m, err)
			}
			got += m
		}
	}
	return fds
}

func closeAll(fds []int) {
	for _, fd := range fds {
		_ = unix.Close(fd)
	}
}

// vmRSS reads the resident set size of pid from /proc, in bytes.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}
