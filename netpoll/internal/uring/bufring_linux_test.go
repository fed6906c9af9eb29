//go:build linux

package uring

import (
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// socketPair returns a connected non-blocking stream pair, closed at the
// end of the test.
func socketPair(t *testing.T) [2]int {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds
}

// newTestBufRing returns an enabled test ring with a buffer ring
// registered on it (NewBufRing's arguments), both closed at the end of
// the test.
func newTestBufRing(t *testing.T, group uint16, entries, lend, size int) (*Ring, *BufRing) {
	t.Helper()
	r := newTestRing(t)
	b, err := NewBufRing(r, group, entries, lend, size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(r) })
	if err := r.Enable(); err != nil {
		t.Fatal(err)
	}
	return r, b
}

// TestBufRingReusesLentBuffers receives forty messages one at a time
// through a ring of 64 buffers that lends 4: the kernel only ever fills
// those 4, and only their pages become resident. A ring that lent all
// 64 would go round them all.
func TestBufRingReusesLentBuffers(t *testing.T) {
	page := os.Getpagesize()
	r, b := newTestBufRing(t, 1, 64, 4, page)
	fds := socketPair(t)
	PrepRecvMultishot(r.SQE(), fds[0], b.Group(), 0, 5)
	used := map[uint16]bool{}
	for i := range 40 {
		if _, err := unix.Write(fds[1], []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		c := reap(t, r)
		if c.Res != 1 || c.Flags&CQEFMore == 0 || b.Buffer(c.BufferID(), 1)[0] != byte(i) {
			t.Fatalf("message %d: completion %+v", i, c)
		}
		used[c.BufferID()] = true
		b.Recycle(c.BufferID())
		b.Publish()
	}
	if len(used) > 4 {
		t.Errorf("the kernel filled %d different buffers, want at most the 4 lent", len(used))
	}
	if n, err := b.Resident(make([]byte, b.Pages())); err != nil || n > 4 {
		t.Errorf("%d pages resident (err %v), want at most 4", n, err)
	}
}

// recvUntilDry arms a multishot recv (user data ud) on one end of a new
// socket pair and writes two bytes to the other, while b lends a single
// buffer: the first completes with "x" in it, the second finds no buffer
// and ends the request with ENOBUFS, "y" left in the socket. It returns
// the pair and the first completion, whose buffer is still held.
func recvUntilDry(t *testing.T, r *Ring, b *BufRing, ud uint64) ([2]int, CQE) {
	t.Helper()
	fds := socketPair(t)
	PrepRecvMultishot(r.SQE(), fds[0], b.Group(), 0, ud)
	if _, err := unix.Write(fds[1], []byte("x")); err != nil {
		t.Fatal(err)
	}
	first := reap(t, r)
	if first.Res != 1 {
		t.Fatalf("first completion %+v", first)
	}
	if _, err := unix.Write(fds[1], []byte("y")); err != nil {
		t.Fatal(err)
	}
	if c := reap(t, r); c.Res != -int32(unix.ENOBUFS) || c.Flags&CQEFMore != 0 {
		t.Fatalf("with the one lent buffer held: completion %+v, want -ENOBUFS ending the request", c)
	}
	return fds, first
}

// TestBufRingGrowLendsMore runs a ring that lends one buffer dry, grows
// it and expects the re-armed recv to find the second buffer while the
// first is still held.
func TestBufRingGrowLendsMore(t *testing.T) {
	r, b := newTestBufRing(t, 2, 4, 1, 16)
	fds, first := recvUntilDry(t, r, b, 6)
	if !b.Grow() || b.Lent() != 2 {
		t.Fatalf("Grow: lends %d, want 2", b.Lent())
	}
	b.Publish()
	PrepRecvMultishot(r.SQE(), fds[0], b.Group(), 0, 6)
	c := reap(t, r)
	if c.Res != 1 || c.BufferID() == first.BufferID() || string(b.Buffer(c.BufferID(), 1)) != "y" {
		t.Fatalf("after Grow: completion %+v", c)
	}
	b.Shrink(1)
	if b.Lent() != 1 {
		t.Errorf("after Shrink(1): lends %d", b.Lent())
	}
	for range 3 {
		b.Grow()
	}
	if b.Lent() != 4 {
		t.Errorf("grown past the ring: lends %d, want 4", b.Lent())
	}
}

// TestBufRingRelease touches every buffer of a ring that lends two:
// ReleaseFree drops the pages of the six not lent, ReleaseAll those of
// all eight.
func TestBufRingRelease(t *testing.T) {
	r := newTestRing(t)
	page := os.Getpagesize()
	b, err := NewBufRing(r, 0, 8, 2, page)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(r) })
	vec := make([]byte, b.Pages())
	for id := range uint16(8) {
		clear(b.Buffer(id, page))
		b.Buffer(id, page)[0] = 1
	}
	if n, err := b.Resident(vec); err != nil || n != 8 {
		t.Fatalf("after touching all: %d pages resident (err %v), want 8", n, err)
	}
	if err := b.ReleaseFree(); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Resident(vec); n != 2 {
		t.Errorf("after ReleaseFree: %d pages resident, want the 2 lent", n)
	}
	if err := b.ReleaseAll(); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Resident(vec); n != 0 {
		t.Errorf("after ReleaseAll: %d pages resident, want 0", n)
	}
	if b.Buffer(3, page)[0] != 0 {
		t.Error("a released page kept its contents")
	}
}

// TestEnterMinReturnsOnceMinWaitPasses asks for three completions with a
// minimum wait while only one comes: once the minimum wait has passed
// the call returns with it instead of waiting out the timeout, which is
// what a plain wait for three would do.
func TestEnterMinReturnsOnceMinWaitPasses(t *testing.T) {
	r := newTestRing(t)
	if err := r.Enable(); err != nil {
		t.Fatal(err)
	}
	if !r.MinWait() {
		t.Skip("the kernel has no minimum wait (IORING_FEAT_MIN_TIMEOUT, 6.12) or the ring no DEFER_TASKRUN")
	}
	PrepNop(r.SQE(), 1)
	start := time.Now()
	if err := r.EnterMin(3, 10*time.Millisecond, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("EnterMin waited %v, the timeout rather than the minimum wait", d)
	}
	if head, tail := r.Peek(); tail-head != 1 {
		t.Fatalf("%d completions ready, want 1", tail-head)
	}
}

// TestTimeoutCompletes arms a 1 ms timeout request and expects it to end
// with -ETIME.
func TestTimeoutCompletes(t *testing.T) {
	r := newTestRing(t)
	if err := r.Enable(); err != nil {
		t.Fatal(err)
	}
	ts := unix.NsecToTimespec(int64(time.Millisecond))
	PrepTimeout(r.SQE(), &ts, 4)
	if c := reap(t, r); c.UserData != 4 || c.Res != -int32(unix.ETIME) {
		t.Fatalf("completion %+v, want -ETIME", c)
	}
}

// TestQuietOnlyWithNothingToReap: a ring with a completion waiting is not
// quiet; once it is reaped, a ring that defers completion work is.
func TestQuietOnlyWithNothingToReap(t *testing.T) {
	r := newTestRing(t)
	if err := r.Enable(); err != nil {
		t.Fatal(err)
	}
	PrepNop(r.SQE(), 8)
	if err := r.Enter(1, time.Second); err != nil {
		t.Fatal(err)
	}
	if r.Quiet() {
		t.Error("Quiet with a completion waiting to be reaped")
	}
	head, tail := r.Peek()
	if tail-head != 1 {
		t.Fatalf("%d completions ready, want 1", tail-head)
	}
	r.Advance(tail)
	if got := r.Quiet(); got != r.DeferTaskrun() {
		t.Errorf("Quiet() = %v after reaping, want %v (DEFER_TASKRUN)", got, r.DeferTaskrun())
	}
}
