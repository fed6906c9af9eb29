//go:build linux

package netpoll

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// loopStates returns the scheduler state of every loop goroutine in the
// process, as its traceback header gives it: "IO wait" for a goroutine
// parked on the runtime's poller, "syscall" for one in a blocking system
// call, "running" or "runnable" for one that holds or wants a P
// (runtime/traceback.go, goroutineheader; waitReasonIOWait in
// runtime/runtime2.go).
func loopStates() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var states []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if !bytes.Contains(g, []byte("netpoll.(*Loop).run(")) {
			continue
		}
		header, _, _ := bytes.Cut(g, []byte("\n"))
		_, state, _ := bytes.Cut(header, []byte("["))
		state, _, _ = bytes.Cut(state, []byte("]"))
		states = append(states, string(state))
	}
	return states
}

// TestIdleLoopsHoldNoP checks the mechanism that lets the rest of the
// program run beside its loops: with as many loops as Ps and nothing to
// do, every loop goroutine is parked on the runtime's poller ("IO wait"),
// which holds no P, rather than asleep in a system call, which does until
// sysmon retakes it. A timed assertion (a goroutine scheduled within so
// many microseconds) would be flaky on a loaded machine; the state is
// what makes the difference, and the runtime reports it exactly.
// WaitSyscall shows that the probe tells the two apart.
func TestIdleLoopsHoldNoP(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		state string
	}{
		{name: "default", cfg: Config{}, state: "IO wait"},
		{name: "WaitPark LockThreads", cfg: Config{LockThreads: true}, state: "IO wait"},
		{name: "WaitSyscall", cfg: Config{Wait: WaitSyscall}, state: "syscall"},
		// A held wait gives way to an ordinary one once the loop has
		// had nothing to do for holdWait.
		{name: "WaitSyscall HoldShortWaits", cfg: Config{Wait: WaitSyscall, HoldShortWaits: true}, state: "syscall"},
	}
	procs := runtime.GOMAXPROCS(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Loops = procs
			s := startServer(t, newTestHandler(), cfg)
			// Every loop has served something before it idles.
			for range 2 * procs {
				c := dial(t, s)
				readFull(t, c, writeAll(t, c, "x"))
			}
			var last []string
			eventually(t, "every loop idle in "+tt.state, func() bool {
				last = loopStates()
				if len(last) != procs {
					return false
				}
				for _, st := range last {
					if !strings.HasPrefix(st, tt.state) {
						return false
					}
				}
				return true
			})
			if len(last) != procs {
				t.Fatalf("found %d loop goroutines, want %d: %q", len(last), procs, last)
			}
		})
	}
}

// TestWaitModes runs what depends on how a loop waits in both modes: a
// wake-up from another goroutine (Submit, and connections the accepting
// loop hands over), a deadline (the idle timeout), and UDP.
func TestWaitModes(t *testing.T) {
	modes := []struct {
		name string
		cfg  Config
	}{
		{name: "park", cfg: Config{Wait: WaitPark}},
		{name: "syscall", cfg: Config{Wait: WaitSyscall}},
		{name: "syscall-hold", cfg: Config{Wait: WaitSyscall, HoldShortWaits: true}},
	}
	for _, mode := range modes {
		wait, hold := mode.cfg.Wait, mode.cfg.HoldShortWaits
		t.Run(mode.name, func(t *testing.T) {
			t.Run("handoff and Submit", func(t *testing.T) {
				h := newTestHandler()
				conns := make(chan *Conn, 4)
				h.open = func(c *Conn) { conns <- c }
				s := startServer(t, h, Config{Loops: 2, Wait: wait, HoldShortWaits: hold})
				for range 4 {
					client := dial(t, s)
					readFull(t, client, writeAll(t, client, "echo"))
					c := <-conns
					if err := c.Loop().Submit(func() { _, _ = c.Write([]byte("pushed")) }); err != nil {
						t.Fatal(err)
					}
					if got := readFull(t, client, 6); string(got) != "pushed" {
						t.Fatalf("got %q, want pushed", got)
					}
				}
			})
			t.Run("idle timeout", func(t *testing.T) {
				h := newTestHandler()
				s := startServer(t, h, Config{Loops: 1, Wait: wait, HoldShortWaits: hold, IdleTimeout: 50 * time.Millisecond})
				// Two in a row: the second deadline is set after the
				// first has expired.
				for range 2 {
					expectClosed(t, dial(t, s))
					if err := h.nextClose(t); !errors.Is(err, ErrIdleTimeout) {
						t.Fatalf("OnClose(%v), want ErrIdleTimeout", err)
					}
				}
			})
			t.Run("udp", func(t *testing.T) {
				s := startUDP(t, &udpEcho{}, Config{Loops: 2, Wait: wait, HoldShortWaits: hold})
				c := dialUDP(t, s)
				for range 3 {
					if _, err := c.Write([]byte("ping")); err != nil {
						t.Fatal(err)
					}
					b := make([]byte, 16)
					n, err := c.Read(b)
					if err != nil || string(b[:n]) != "ping" {
						t.Fatalf("read %q, %v; want ping", b[:n], err)
					}
				}
			})
		})
	}
}

// TestHoldShortWaits checks that with HoldShortWaits a loop serving a
// ping-pong connection takes its events in waits held as Go code, which
// sysmon cannot retake the P from, and that without it, or with
// WaitPark, it never does. The count is the loop's own, read once the
// server has stopped; a held wait that sees nothing for holdWait gives
// way to an ordinary one, so the test asks for one held wait in a
// bounded number of round trips, not for all of them.
func TestHoldShortWaits(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		urgent bool
		held   bool
	}{
		{name: "WaitSyscall HoldShortWaits", cfg: Config{Wait: WaitSyscall, HoldShortWaits: true}, held: true},
		{name: "WaitSyscall HoldShortWaits Urgent", cfg: Config{Wait: WaitSyscall, HoldShortWaits: true}, urgent: true},
		{name: "WaitSyscall", cfg: Config{Wait: WaitSyscall}},
		{name: "WaitPark HoldShortWaits", cfg: Config{Wait: WaitPark, HoldShortWaits: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Loops = 1
			if tt.urgent {
				defer Urgent()()
			}
			s := startServer(t, newTestHandler(), cfg)
			c := dial(t, s)
			deadline := time.Now().Add(10 * time.Second)
			for i := 0; i < 200 && time.Now().Before(deadline); i++ {
				readFull(t, c, writeAll(t, c, "ping"))
			}
			_ = c.Close()
			loops := s.Loops()
			shutdown(t, s)
			<-s.Done()
			held := 0
			for _, l := range loops {
				held += l.heldWaits
			}
			if (held > 0) != tt.held {
				t.Fatalf("%d waits held as Go code ended with events; want some: %v", held, tt.held)
			}
		})
	}
}

// TestHoldMsec checks the held wait's timeout: the whole wait when it is
// within holdWait, holdWait otherwise, and for no deadline.
func TestHoldMsec(t *testing.T) {
	h := int(holdWait / time.Millisecond)
	for _, tt := range []struct{ msec, want int }{{-1, h}, {1, 1}, {h, h}, {h + 1, h}, {1 << 30, h}} {
		if got := holdMsec(tt.msec); got != tt.want {
			t.Errorf("holdMsec(%d) = %d, want %d", tt.msec, got, tt.want)
		}
	}
}

func TestWaitString(t *testing.T) {
	tests := []struct {
		w    Wait
		want string
	}{
		{w: WaitPark, want: "park"},
		{w: WaitSyscall, want: "syscall"},
		{w: Wait(9), want: "unknown"},
	}
	for _, tt := range tests {
		if got := tt.w.String(); got != tt.want {
			t.Errorf("Wait(%d).String() = %q, want %q", tt.w, got, tt.want)
		}
	}
}
