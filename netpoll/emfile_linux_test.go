//go:build linux

package netpoll

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// limitAbove opens /dev/null as a probe, the lowest free descriptor,
// and lowers RLIMIT_NOFILE to room descriptors above it. It returns the
// probe and a func that sets the limit back.
func limitAbove(t *testing.T, room int) (probe int, restore func()) {
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
	lim.Cur = uint64(probe + room)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		_ = unix.Close(probe)
		t.Fatal(err)
	}
	return probe, func() {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
			t.Error(err)
		}
	}
}

// exhaustFDs lowers RLIMIT_NOFILE to just above the highest descriptor in
// use and fills every free number below it, so that the next descriptor
// the process asks for fails with EMFILE. The returned func undoes both.
func exhaustFDs(t *testing.T) (restore func()) {
	t.Helper()
	probe, unlimit := limitAbove(t, 64)
	fillers := []int{probe}
	for {
		fd, err := unix.Dup(probe)
		if err != nil {
			break
		}
		fillers = append(fillers, fd)
	}
	return func() {
		for _, fd := range fillers {
			_ = unix.Close(fd)
		}
		unlimit()
	}
}

// rawClient is a blocking socket created before descriptors run out.
func rawClient(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Close(fd) })
	tv := unix.NsecToTimeval(int64(10 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return fd
}

func connectRaw(t *testing.T, fd int, s *Server) {
	t.Helper()
	ap := netip.MustParseAddrPort(s.Addr().String())
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		t.Fatal(err)
	}
}

// acceptsAgain waits until s accepts a new connection and echoes on it,
// after a descriptor shortage.
func acceptsAgain(t *testing.T, s *Server) {
	t.Helper()
	eventually(t, "accepting again", func() bool {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			return false
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte("alive")); err != nil {
			return false
		}
		_, err = io.ReadFull(c, make([]byte, 5))
		return err == nil
	})
}

func TestEMFILEPausesThenServes(t *testing.T) {
	s := startServer(t, newTestHandler(), Config{Loops: 1})
	l := s.Loops()[0]
	client := rawClient(t)
	restore := exhaustFDs(t)
	connectRaw(t, client, s)
	// The failed accept pauses the listener rather than being reported,
	// and failing, on every wait.
	paused := false
	deadline := time.Now().Add(10 * time.Second)
	for !paused && time.Now().Before(deadline) {
		ch := make(chan bool)
		_ = l.Submit(func() { ch <- l.ln.pausedUntil != 0 })
		paused = <-ch
	}
	restore()
	if !paused {
		t.Fatal("listener was not paused")
	}
	// Once descriptors are back the queued connection is served.
	if _, err := unix.Write(client, []byte("late")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if n, err := unix.Read(client, buf); err != nil || string(buf[:n]) != "late" {
		t.Fatalf("read %q, %v; want the echo", buf[:n], err)
	}
	if st := s.Stats(); st.AcceptErrors == 0 {
		t.Fatalf("stats %+v, want accept errors counted", st)
	}
}

func TestEMFILEShedsWithReserveFDWhenItLasts(t *testing.T) {
	defer func(old time.Duration) { shedAfter = old }(shedAfter)
	shedAfter = 0
	s := startServer(t, newTestHandler(), Config{Loops: 1})
	clients := []int{rawClient(t), rawClient(t), rawClient(t)}
	restore := exhaustFDs(t)
	for _, fd := range clients {
		connectRaw(t, fd, s)
	}
	// Each queued connection is accepted with the reserve descriptor
	// and closed at once: the client sees EOF, not a hang.
	for _, fd := range clients {
		n, err := unix.Read(fd, make([]byte, 1))
		if err != nil && err != unix.ECONNRESET {
			restore()
			t.Fatalf("read on shed connection: %v", err)
		}
		if n > 0 {
			restore()
			t.Fatalf("shed connection received %d bytes", n)
		}
	}
	restore()
	if st := s.Stats(); st.AcceptErrors == 0 || st.Active != 0 {
		t.Fatalf("stats %+v, want accept errors and no active connection", st)
	}
	// The reserve is back and the server serves again.
	acceptsAgain(t, s)
	done := make(chan int)
	l := s.Loops()[0]
	_ = l.Submit(func() { done <- l.ln.spare })
	if spare := <-done; spare < 0 {
		t.Fatal("reserve descriptor not reopened")
	}
}
