//go:build linux

package netpoll

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func newTestPoller(t *testing.T) *poller {
	t.Helper()
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// socketpair returns a connected pair of non-blocking stream sockets.
func socketpair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.Close(fds[0])
		_ = unix.Close(fds[1])
	})
	return fds[0], fds[1]
}

// waitEvents polls p once without blocking and returns the events.
func waitEvents(t *testing.T, p *poller) ([]event, bool) {
	t.Helper()
	n, woken, err := p.wait(0)
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]event, n)
	for i := range evs {
		evs[i] = p.event(i)
	}
	return evs, woken
}

func TestPollerAddModDel(t *testing.T) {
	p := newTestPoller(t)
	a, b := socketpair(t)
	if err := p.add(a, 7, eventRead); err != nil {
		t.Fatal(err)
	}
	if evs, _ := waitEvents(t, p); len(evs) != 0 {
		t.Fatalf("idle socket reported %+v", evs)
	}
	if _, err := unix.Write(b, []byte("x")); err != nil {
		t.Fatal(err)
	}
	evs, _ := waitEvents(t, p)
	if len(evs) != 1 || evs[0].fd != a || evs[0].tag != 7 || evs[0].flags&eventRead == 0 {
		t.Fatalf("after write got %+v, want read event for fd %d tag 7", evs, a)
	}
	// Level-triggered: still readable, still reported.
	if evs, _ := waitEvents(t, p); len(evs) != 1 {
		t.Fatalf("undrained socket reported %d events, want 1", len(evs))
	}

	if err := p.mod(a, 8, eventWrite); err != nil {
		t.Fatal(err)
	}
	evs, _ = waitEvents(t, p)
	if len(evs) != 1 || evs[0].tag != 8 || evs[0].flags&eventWrite == 0 || evs[0].flags&eventRead != 0 {
		t.Fatalf("after mod(write) got %+v, want write-only event with tag 8", evs)
	}

	if err := p.del(a); err != nil {
		t.Fatal(err)
	}
	if evs, _ := waitEvents(t, p); len(evs) != 0 {
		t.Fatalf("deleted fd reported %+v", evs)
	}
	if err := p.del(a); err == nil {
		t.Fatal("second Del succeeded, want ENOENT")
	}
}

func TestPollerReadHup(t *testing.T) {
	p := newTestPoller(t)
	a, b := socketpair(t)
	if err := p.add(a, 1, eventRead|eventReadHup); err != nil {
		t.Fatal(err)
	}
	if err := unix.Shutdown(b, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	evs, _ := waitEvents(t, p)
	if len(evs) != 1 || evs[0].flags&eventReadHup == 0 {
		t.Fatalf("after peer SHUT_WR got %+v, want EPOLLRDHUP", evs)
	}
	if evs[0].flags&eventHup != 0 {
		t.Fatalf("half close reported EPOLLHUP: %+v", evs)
	}
	if err := unix.Close(b); err != nil {
		t.Fatal(err)
	}
	if err := unix.Shutdown(a, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	evs, _ = waitEvents(t, p)
	if len(evs) != 1 || evs[0].flags&eventHup == 0 {
		t.Fatalf("after both sides shut down got %+v, want EPOLLHUP", evs)
	}
}

func TestPollerWakeCoalesces(t *testing.T) {
	p := newTestPoller(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if err := p.wake(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	// 800 wakes, one write: the eventfd counter is 1.
	var buf [8]byte
	if _, err := unix.Read(p.wakefd, buf[:]); err != nil {
		t.Fatal(err)
	}
	if n := binary.NativeEndian.Uint64(buf[:]); n != 1 {
		t.Fatalf("eventfd counter %d after 800 wakes, want 1", n)
	}
	// Put the wake-up back and let wait consume it.
	if _, err := unix.Write(p.wakefd, buf[:]); err != nil {
		t.Fatal(err)
	}
	if evs, woken := waitEvents(t, p); !woken || len(evs) != 0 {
		t.Fatalf("wait after wake: woken=%v events=%+v, want woken and no events", woken, evs)
	}
	if _, woken := waitEvents(t, p); woken {
		t.Fatal("second wait still woken")
	}
	// Re-armed: the next wake writes again.
	if err := p.wake(); err != nil {
		t.Fatal(err)
	}
	if _, woken := waitEvents(t, p); !woken {
		t.Fatal("wake after a drained wake-up was lost")
	}
}

// TestPollerStaleEventAfterReuse shows why events carry a tag: epoll keys
// registrations by open file, not by fd number (epoll(7), Q6), so a
// registration outliving its fd number reports events under a number
// that now names another socket. The tag tells the two apart.
func TestPollerStaleEventAfterReuse(t *testing.T) {
	p := newTestPoller(t)
	old, oldPeer := socketpair(t)
	if err := p.add(old, 1, eventRead); err != nil {
		t.Fatal(err)
	}
	// Keep the old file open through a duplicate, then free the number.
	dup, err := unix.Dup(old)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Close(dup) })
	if err := unix.Close(old); err != nil {
		t.Fatal(err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.Close(fds[0])
		_ = unix.Close(fds[1])
	})
	reused := fds[0]
	if reused != old {
		t.Skipf("kernel gave fd %d, not the freed %d", reused, old)
	}
	if err := p.add(reused, 2, eventRead); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(oldPeer, []byte("stale")); err != nil {
		t.Fatal(err)
	}
	evs, _ := waitEvents(t, p)
	if len(evs) != 1 || evs[0].fd != reused || evs[0].tag != 1 {
		t.Fatalf("got %+v, want one event for fd %d with the old tag 1", evs, reused)
	}
}

func TestPollerEventListGrowsAndShrinks(t *testing.T) {
	p := newTestPoller(t)
	const n = 3 * initEvents
	tags := make(map[int]uint32)
	for i := range n {
		a, b := socketpair(t)
		tags[a] = uint32(i)
		if err := p.add(a, uint32(i), eventRead); err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Write(b, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	// Each full wait doubles the list for the next; the events of the
	// full one stay readable until then.
	check := func(evs []event) {
		t.Helper()
		for _, ev := range evs {
			if tag, ok := tags[ev.fd]; !ok || tag != ev.tag || ev.flags&eventRead == 0 {
				t.Fatalf("event %+v is not one of the registered descriptors", ev)
			}
		}
	}
	for want := initEvents; want < n; want *= 2 {
		evs, _ := waitEvents(t, p)
		if len(evs) != want {
			t.Fatalf("wait with %d slots returned %d events", want, len(evs))
		}
		check(evs)
	}
	evs, _ := waitEvents(t, p)
	if len(evs) != n {
		t.Fatalf("grown list returned %d events, want %d", len(evs), n)
	}
	check(evs)
	grown := len(p.events)
	for fd := range tags {
		_ = p.del(fd)
	}
	for range 4 * shrinkAfter {
		waitEvents(t, p)
	}
	if len(p.events) >= grown || len(p.events) < minEvents {
		t.Fatalf("idle list has %d slots, want fewer than %d and at least %d", len(p.events), grown, minEvents)
	}
}

// BenchmarkPollerWaitZero compares a zero-timeout epoll_wait through
// RawSyscall6 (what wait does) with the same call through Syscall6, which
// brackets it with the runtime's entersyscall/exitsyscall.
func BenchmarkPollerWaitZero(b *testing.B) {
	p, err := newPoller()
	if err != nil {
		b.Fatal(err)
	}
	defer p.close()
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := p.wait(0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("syscall", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := unix.EpollWait(p.epfd, p.events, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// newParkPoller is newTestPoller with the epoll instance handed to the
// runtime's poller, as a WaitPark loop has it.
func newParkPoller(t *testing.T) *poller {
	t.Helper()
	p := newTestPoller(t)
	if err := p.openPark(); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPollerParkReturnsEvents races a park against the event that ends
// it: whether the write lands before the check, between the check and
// the park or during the park, the event must be returned and never
// lost to the runtime's edge-triggered view of the instance.
func TestPollerParkReturnsEvents(t *testing.T) {
	p := newParkPoller(t)
	a, b := socketpair(t)
	if err := p.add(a, 1, eventRead); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	for i := range 200 {
		go func() { _, _ = unix.Write(b, []byte("x")) }()
		n, woken, _, err := p.park(parkNoDeadline, time.Now(), false)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || woken || p.event(0).fd != a {
			t.Fatalf("round %d: park returned %d events (woken %v), want the read event of fd %d", i, n, woken, a)
		}
		if _, err := unix.Read(a, buf); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPollerParkWake(t *testing.T) {
	p := newParkPoller(t)
	for i := range 200 {
		go func() { _ = p.wake() }()
		n, woken, _, err := p.park(parkNoDeadline, time.Now(), false)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 || !woken {
			t.Fatalf("round %d: park returned %d events, woken %v; want the wake-up alone", i, n, woken)
		}
	}
}

// TestPollerParkDeadline checks that a deadline ends a park with nothing
// ready, and that the next deadline is set again after the runtime has
// marked the first expired.
func TestPollerParkDeadline(t *testing.T) {
	p := newParkPoller(t)
	epoch := time.Now()
	for i := range 3 {
		at := int64(time.Since(epoch) + 5*time.Millisecond)
		n, woken, slept, err := p.park(at, epoch, false)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 || woken {
			t.Fatalf("round %d: park returned %d events, woken %v; want a timeout", i, n, woken)
		}
		if now := int64(time.Since(epoch)); now < at {
			t.Fatalf("round %d: park returned %v before its deadline", i, time.Duration(at-now))
		}
		if !slept {
			t.Fatalf("round %d: park reports it did not sleep", i)
		}
	}
}

// TestPollerYield checks that both kinds of yield come back on their
// own, having gone through the scheduler, and leave nothing behind.
func TestPollerYield(t *testing.T) {
	t.Run("park", func(t *testing.T) {
		p := newParkPoller(t)
		for i := range 3 {
			n, woken, slept, err := p.park(parkNoDeadline, time.Now(), true)
			if err != nil {
				t.Fatal(err)
			}
			if n != 0 || !woken || !slept {
				t.Fatalf("round %d: yield returned %d events, woken %v, slept %v; want its own wake-up", i, n, woken, slept)
			}
		}
		if evs, woken := waitEvents(t, p); len(evs) != 0 || woken {
			t.Fatalf("after the yields: %v, woken %v; want nothing", evs, woken)
		}
	})
	t.Run("syscall", func(t *testing.T) {
		p := newTestPoller(t)
		if err := p.openYield(); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := p.yield(); err != nil {
				t.Fatal(err)
			}
			if p.checks < 2 {
				t.Fatalf("round %d: the yield's check ran %d times, want a park and a return", i, p.checks)
			}
		}
		var buf [8]byte
		if _, err := unix.Read(int(p.yieldFile.Fd()), buf[:]); err != unix.EAGAIN {
			t.Fatalf("yield eventfd after the yields: read %v, want EAGAIN (drained)", err)
		}
	})
}
