//go:build linux

package relay

import (
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// exhaustFDs lowers RLIMIT_NOFILE to just above the highest descriptor in
// use and fills every free number below it but spare, so that the
// process can open spare more descriptors, then fails with EMFILE. The
// returned func undoes both.
func exhaustFDs(t *testing.T, spare int) (restore func()) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	probe, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = uint64(probe) + 64
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	fillers := []int{probe}
	for {
		fd, err := unix.Dup(probe)
		if err != nil {
			break
		}
		fillers = append(fillers, fd)
	}
	for range spare {
		_ = unix.Close(fillers[len(fillers)-1])
		fillers = fillers[:len(fillers)-1]
	}
	return func() {
		for _, fd := range fillers {
			_ = unix.Close(fd)
		}
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
			t.Error(err)
		}
	}
}

// rawConnect connects a socket made before descriptors ran out to the
// relay, with a 10 s receive timeout.
func rawConnect(t *testing.T, fd int, r *Relay) {
	t.Helper()
	tv := unix.NsecToTimeval(int64(10 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(r.Addr().String())
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		t.Fatal(err)
	}
}

// TestEMFILE: with one descriptor left the relay accepts a client but
// cannot open its upstream socket; that pair alone ends, counted and
// logged, and once descriptors are back the relay serves again. With
// three left (the client, the upstream socket, the backend's accept) no
// pipe can be made, and the pair copies instead of splicing.
func TestEMFILE(t *testing.T) {
	b := echoBackend(t)
	r, logs := startRelay(t, Config{Path: PathSplice, Loops: 1}, b.addr())
	mk := func() int {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = unix.Close(fd) })
		return fd
	}
	starved, piped := mk(), mk()

	restore := exhaustFDs(t, 1)
	rawConnect(t, starved, r)
	n, err := unix.Read(starved, make([]byte, 1))
	restore()
	if n > 0 || (err != nil && err != unix.ECONNRESET) {
		t.Fatalf("starved client read %d, %v; want it closed", n, err)
	}
	eventually(t, "the connect error counted", func() bool { return r.Stats().Closed.ConnectError == 1 })
	if !strings.Contains(logs.String(), "too many open files") {
		t.Errorf("no log line naming EMFILE:\n%s", logs.String())
	}

	restore = exhaustFDs(t, 3)
	rawConnect(t, piped, r)
	eventually(t, "the pair to connect", func() bool { return r.Stats().Active == 1 })
	_, werr := unix.Write(piped, []byte("no pipe"))
	buf := make([]byte, 7)
	n, rerr := unix.Read(piped, buf)
	restore()
	if werr != nil || rerr != nil || string(buf[:n]) != "no pipe" {
		t.Fatalf("echo without a pipe: %q, %v, %v", buf[:n], werr, rerr)
	}
	if s := r.Stats(); s.NoPipe == 0 || s.Copied == 0 {
		t.Errorf("NoPipe %d, Copied %d: want the pair copied for want of a pipe", s.NoPipe, s.Copied)
	}

	c, err := net.DialTimeout("tcp", r.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("back")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "back" {
		t.Fatalf("after the shortage: %q, %v; stats %+v", got, err, r.Stats())
	}
}
