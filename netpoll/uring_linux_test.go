//go:build linux

package netpoll

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// uringConfig returns cfg on the io_uring backend, or skips the test
// with the reason io_uring is unavailable.
func uringConfig(t *testing.T, cfg Config) Config {
	t.Helper()
	if err := CheckBackend(BackendUring); err != nil {
		t.Skip(err)
	}
	cfg.Backend = BackendUring
	return cfg
}

// pattern returns n bytes that differ from one offset to the next.
func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + seed)
	}
	return b
}

func TestUringEcho(t *testing.T) {
	s := startServer(t, newTestHandler(), uringConfig(t, Config{Loops: 2}))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			for j := range 50 {
				msg := pattern(100+j*97, i)
				if err := echoOnce(c, msg); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := s.Stats(); st.Accepted != 8 {
		t.Errorf("accepted %d, want 8", st.Accepted)
	}
}

func TestUringBulkHalfClose(t *testing.T) {
	h := newTestHandler()
	s := startServer(t, h, uringConfig(t, Config{Loops: 1}))
	c := dial(t, s)
	msg := pattern(3<<20, 1) // many buffers' worth, and past the write limit
	go func() {
		_, _ = c.Write(msg)
		_ = c.CloseWrite()
	}()
	got := expectClosed(t, c)
	if !bytes.Equal(got, msg) {
		t.Fatalf("echoed %d bytes, want %d intact; stats %+v", len(got), len(msg), s.Stats())
	}
	if err := h.nextClose(t); err != nil {
		t.Fatalf("OnClose(%v)", err)
	}
}

func TestUringBackpressure(t *testing.T) {
	h := newTestHandler()
	s := startServer(t, h, uringConfig(t, Config{Loops: 1, WriteLimit: 64 << 10}))
	c := dialSmallWindow(t, s)
	msg := pattern(4<<20, 2)
	done := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		done <- err
	}()
	// The client reads nothing until the server has paused reading it.
	eventually(t, "backpressure", func() bool { return s.Stats().Backpressure > 0 })
	got := readFull(t, c, len(msg))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("echo differs after backpressure")
	}
	if st := s.Stats(); st.Resumed == 0 {
		t.Errorf("stats %+v: no resume", st)
	}
}

func TestUringBuffersRunDry(t *testing.T) {
	old := ringBufs
	ringBufs = 2
	t.Cleanup(func() { ringBufs = old })
	s := startServer(t, newTestHandler(), uringConfig(t, Config{Loops: 1}))
	conns := make([]*net.TCPConn, 16)
	for i := range conns {
		conns[i] = dial(t, s)
	}
	for round := range 20 {
		for i, c := range conns {
			if _, err := c.Write(pattern(1000, i+round)); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range conns {
			if got := readFull(t, c, 1000); !bytes.Equal(got, pattern(1000, i+round)) {
				t.Fatalf("round %d conn %d: echo differs", round, i)
			}
		}
	}
}

func TestUringMaxConnsAndIdle(t *testing.T) {
	h := newTestHandler()
	s := startServer(t, h, uringConfig(t, Config{Loops: 1, MaxConns: 1, IdleTimeout: 100 * time.Millisecond}))
	a := dial(t, s)
	eventually(t, "first connection open", func() bool { return s.Stats().Active == 1 })
	b := dial(t, s)
	if got := expectClosed(t, b); len(got) != 0 {
		t.Fatalf("rejected connection got %q", got)
	}
	if err := h.nextClose(t); err != ErrIdleTimeout {
		t.Fatalf("OnClose(%v), want ErrIdleTimeout", err)
	}
	expectClosed(t, a)
	if st := s.Stats(); st.Rejected != 1 || st.IdleTimeouts != 1 {
		t.Errorf("stats %+v", st)
	}
}

// limitFDs lowers the descriptor limit to 64 above the lowest free
// descriptor, and returns a function that fills what is left and one
// that restores both. The io_uring backend must see the low limit before
// its accept is armed: a multishot accept reads RLIMIT_NOFILE once, when
// it is prepared (io_accept_prep in io_uring/net.c), so a limit lowered
// under an armed accept never makes it fail.
//
// fill must run on the loop's goroutine (onLoop), not the test's. An
// io_uring accept takes a descriptor number before it looks at the
// listen queue, and gives it back if the queue is empty (io_accept:
// __get_unused_fd_flags, then do_accept, then put_unused_fd), so each
// time the kernel issues the accept a number is held for a moment. A
// fill on another thread that overlaps the loop's first io_uring_enter
// steps over that number, stops when its last dup fails for want of it,
// and leaves it free a moment later: the first connection is accepted
// instead of failing with EMFILE. The ring's requests are issued only
// from the loop's thread (inline in its io_uring_enter, or as task work
// the thread runs there), so a fill run by the loop cannot overlap one;
// and the loop runs a submitted function only after its first
// io_uring_enter, by which time the accept is armed.
func limitFDs(t *testing.T) (fill, restore func()) {
	t.Helper()
	probe, unlimit := limitAbove(t, 64)
	fillers := []int{probe}
	fill = func() {
		for range 1 << 16 {
			fd, err := unix.Dup(probe)
			if err != nil {
				return
			}
			fillers = append(fillers, fd)
		}
	}
	var once sync.Once
	restore = func() {
		once.Do(func() {
			for _, fd := range fillers {
				_ = unix.Close(fd)
			}
			unlimit()
		})
	}
	t.Cleanup(restore)
	return fill, restore
}

func TestUringEMFILEPausesThenServes(t *testing.T) {
	if inOwnProcess(t) {
		return
	}
	fill, restore := limitFDs(t)
	s := startServer(t, newTestHandler(), uringConfig(t, Config{Loops: 1}))
	l := s.Loops()[0]
	client := rawClient(t)
	onLoop(t, l, fill)
	connectRaw(t, client, s)
	paused := false
	deadline := time.Now().Add(10 * time.Second)
	for !paused && time.Now().Before(deadline) {
		ch := make(chan bool)
		_ = l.Submit(func() { ch <- l.ln.pausedUntil != 0 })
		paused = <-ch
	}
	restore()
	if !paused {
		t.Fatalf("listener was not paused; stats %+v", s.Stats())
	}
	// Once descriptors are back the accept is re-armed and the queued
	// connection served.
	if _, err := unix.Write(client, []byte("late")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	n, err := readRetry(client, buf)
	if err != nil || string(buf[:max(n, 0)]) != "late" {
		t.Fatalf("read %q, %v; want the echo", buf[:max(n, 0)], err)
	}
	if st := s.Stats(); st.AcceptErrors == 0 {
		t.Fatalf("stats %+v, want accept errors counted", st)
	}
}

func TestUringEMFILESheds(t *testing.T) {
	if inOwnProcess(t) {
		return
	}
	old := shedAfter
	shedAfter = 0
	// A cleanup, not a defer: it must run after the server's shutdown.
	t.Cleanup(func() { shedAfter = old })
	fill, restore := limitFDs(t)
	s := startServer(t, newTestHandler(), uringConfig(t, Config{Loops: 1}))
	clients := []int{rawClient(t), rawClient(t), rawClient(t)}
	onLoop(t, s.Loops()[0], fill)
	for _, fd := range clients {
		connectRaw(t, fd, s)
	}
	for _, fd := range clients {
		n, err := readRetry(fd, make([]byte, 1))
		if err != nil && err != unix.ECONNRESET {
			restore()
			t.Fatalf("read on shed connection: %v; stats %+v", err, s.Stats())
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
	// The server accepts again; a connection made while the last
	// shortage was being shed may be shed with it, as on epoll.
	acceptsAgain(t, s)
}

// TestUringLoweredLimit: a descriptor limit lowered with setrlimit while
// the multishot accept is armed, which the kernel does not see
// (overLimit), still stops accepting: the connections that arrive are
// counted as failed accepts and, as the shortage lasts, shed unserved;
// the connection already open keeps being served, and raising the limit
// again lets new ones in. (A parked connection admitted once the limit
// rises is the conformance suite's emfile case.)
func TestUringLoweredLimit(t *testing.T) {
	if inOwnProcess(t) {
		return
	}
	s := startServer(t, newTestHandler(), uringConfig(t, Config{Loops: 1}))
	first, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_ = first.SetDeadline(time.Now().Add(10 * time.Second))
	echoConn := func(msg string) {
		t.Helper()
		if _, err := first.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(first, got); err != nil || string(got) != msg {
			t.Fatalf("echo %q, %v; want %q", got, err, msg)
		}
	}
	echoConn("before")
	clients := []int{rawClient(t), rawClient(t), rawClient(t)}

	// The lowest free descriptor becomes the limit: every descriptor
	// accepted from now on is past it.
	probe, unlimit := limitAbove(t, 0)
	_ = unix.Close(probe)
	var once sync.Once
	restore := func() { once.Do(unlimit) }
	t.Cleanup(restore)

	for _, fd := range clients {
		connectRaw(t, fd, s)
		if _, err := unix.Write(fd, []byte("x")); err != nil {
			restore()
			t.Fatal(err)
		}
	}
	for _, fd := range clients {
		n, err := readRetry(fd, make([]byte, 1))
		if (err != nil && err != unix.ECONNRESET) || n > 0 {
			restore()
			t.Fatalf("read on a connection past the limit: %d bytes, %v; want it closed unserved; stats %+v", n, err, s.Stats())
		}
	}
	echoConn("during")
	restore()
	if st := s.Stats(); st.AcceptErrors == 0 || st.Active != 1 {
		t.Fatalf("stats %+v, want accept errors and only the first connection active", st)
	}
	acceptsAgain(t, s)
}

// readRetry reads from a blocking socket, retrying EINTR: with
// SO_RCVTIMEO set, a signal makes a blocked read fail with EINTR instead
// of restarting it (sock_intr_errno in include/net/sock.h).
func readRetry(fd int, b []byte) (int, error) {
	for {
		n, err := unix.Read(fd, b)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func TestUringPauseReadingStashesInFlightInput(t *testing.T) {
	h := newTestHandler()
	var paused sync.Map
	h.data = func(c *Conn, b []byte) int {
		if b[0] == 'p' {
			// Pause, then resume from another goroutine: input that
			// the kernel completed meanwhile must reach OnData after
			// the resume, in order, once.
			c.PauseReading()
			paused.Store(c, true)
			go func() { _ = c.Loop().Submit(c.ResumeReading) }()
		}
		_, _ = c.Write(b)
		return len(b)
	}
	s := startServer(t, h, uringConfig(t, Config{Loops: 1}))
	c := dial(t, s)
	var want []byte
	for i := range 200 {
		msg := pattern(500, i)
		msg[0] = 'd'
		if i%10 == 0 {
			msg[0] = 'p'
		}
		want = append(want, msg...)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.CloseWrite()
	if got := expectClosed(t, c); !bytes.Equal(got, want) {
		t.Fatalf("echoed %d bytes, want %d intact", len(got), len(want))
	}
}

func TestUringClosedConnectionsDoNotDisturbReusedDescriptors(t *testing.T) {
	h := newTestHandler()
	h.data = func(c *Conn, b []byte) int {
		_, _ = c.Write(b)
		if b[len(b)-1] == '!' {
			_ = c.Close()
		}
		return len(b)
	}
	s := startServer(t, h, uringConfig(t, Config{Loops: 1}))
	long := dial(t, s)
	done := make(chan error, 1)
	go func() {
		// A connection that keeps echoing while descriptors around it
		// are closed and reused.
		for i := range 300 {
			msg := pattern(700, i)
			msg[len(msg)-1] = '.'
			if _, err := long.Write(msg); err != nil {
				done <- err
				return
			}
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(long, got); err != nil || !bytes.Equal(got, msg) {
				done <- errors.Join(err, errors.New("long-lived echo differs"))
				return
			}
		}
		done <- nil
	}()
	for i := range 300 {
		c, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		msg := []byte{byte(i), byte(i >> 8), '!'}
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(c)
		c.Close()
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("short connection %d: got %q, %v; want %q then EOF", i, got, err, msg)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestUringRefusesConnect(t *testing.T) {
	s := startServer(t, newTestHandler(), uringConfig(t, Config{Loops: 1}))
	l := s.Loops()[0]
	ch := make(chan error, 1)
	if err := l.Submit(func() {
		_, err := l.Connect(netip.MustParseAddrPort(s.Addr().String()), nil)
		ch <- err
	}); err != nil {
		t.Fatal(err)
	}
	if err := <-ch; err != errUringConnect {
		t.Fatalf("Connect on the io_uring backend: %v, want errUringConnect", err)
	}
}

func TestUringUDPEchoAndTruncation(t *testing.T) {
	s, err := ListenPacket("udp4", "127.0.0.1:0", &udpEcho{}, uringConfig(t, Config{Loops: 2, UDPBuffer: 1024}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, s) })
	c, err := net.Dial("udp4", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for i := range 100 {
		msg := pattern(1+i*10, i)
		var got []byte
		for try := 0; got == nil && try < 5; try++ { // UDP may drop
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			if n, err := c.Read(buf); err == nil {
				got = buf[:n]
			}
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("datagram %d: echo %d bytes, want %d intact", i, len(got), len(msg))
		}
	}
	// A datagram over UDPBuffer is dropped and counted, never echoed.
	if _, err := c.Write(pattern(1500, 0)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the truncated datagram counted", func() bool { return s.Stats().Truncated == 1 })
	if st := s.Stats(); st.Datagrams < 100 {
		t.Errorf("stats %+v", st)
	}
}

// TestUringPausedConnectionsHoldLittle floods connections that never
// read: each may hold its output up to the write limit plus one recv's
// worth (the write limit again, the cap on a recv's bytes), and input
// stashed from the round that paused it, at most one recv's worth.
func TestUringPausedConnectionsHoldLittle(t *testing.T) {
	const limit, conns = 64 << 10, 20
	cfg := uringConfig(t, Config{Loops: 1, WriteLimit: limit, ReadBudget: limit})
	s := startServer(t, newTestHandler(), cfg)
	var wg sync.WaitGroup
	for range conns {
		c := dialSmallWindow(t, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 16<<10)
			_ = c.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
			for range 512 {
				if _, err := c.Write(buf); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	l := s.Loops()[0]
	held := make(chan []int, 1)
	_ = l.Submit(func() {
		var per []int
		for _, c := range l.conns {
			if c != nil && c.b != nil {
				per = append(per, len(c.b.in)+c.b.out.n)
			}
		}
		held <- per
	})
	per := <-held
	if len(per) == 0 {
		t.Fatal("no connection holds anything: the flood did not back up")
	}
	for i, n := range per {
		if n > 3*limit+ringBufSize {
			t.Errorf("connection %d holds %d bytes, over %d", i, n, 3*limit+ringBufSize)
		}
	}
}

// TestUringAcceptOneAtMaxConns checks that the listener's accept becomes
// a single accept once the server is at MaxConns, so that a burst of
// connections it turns away is accepted and closed one at a time
// (armAccept), and a multishot one again once a connection leaves; and
// that the connections over the limit are closed while those under it
// are served.
func TestUringAcceptOneAtMaxConns(t *testing.T) {
	h := newTestHandler()
	s := startServer(t, h, uringConfig(t, Config{Loops: 1, MaxConns: 2}))
	l := s.loops[0]
	armed := func() (on, one bool) {
		onLoop(t, l, func() { on, one = l.ring.acceptArmed, l.ring.acceptOne })
		return on, one
	}
	if on, one := armed(); !on || one {
		t.Fatalf("below MaxConns: accept armed %v, single %v; want a multishot accept armed", on, one)
	}
	kept := []net.Conn{dial(t, s), dial(t, s)}
	for _, c := range kept {
		if err := echoOnce(c, []byte("kept\n")); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "a single accept armed at MaxConns", func() bool { on, one := armed(); return on && one })
	for i := range 20 {
		c := dial(t, s)
		if got := expectClosed(t, c); len(got) != 0 {
			t.Fatalf("connection %d over MaxConns read %q, want it closed", i, got)
		}
	}
	if st := s.Stats(); st.Rejected != 20 || st.AcceptErrors != 0 {
		t.Fatalf("Rejected %d, AcceptErrors %d; want 20 and 0", st.Rejected, st.AcceptErrors)
	}
	if on, one := armed(); !on || !one {
		t.Fatalf("after the rejections: accept armed %v, single %v; want a single accept armed", on, one)
	}
	for _, c := range kept {
		_ = c.Close()
		if err := h.nextClose(t); err != nil {
			t.Fatalf("OnClose(%v) for a peer's close", err)
		}
	}
	// The single accept armed at the limit takes the next connection,
	// now under it, and the accept armed after it is a multishot one.
	c := dial(t, s)
	if err := echoOnce(c, []byte("back\n")); err != nil {
		t.Fatal(err)
	}
	if on, one := armed(); !on || one {
		t.Fatalf("below MaxConns again: accept armed %v, single %v; want a multishot accept armed", on, one)
	}
}
