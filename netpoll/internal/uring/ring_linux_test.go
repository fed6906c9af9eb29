//go:build linux

package uring

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newTestRing returns an enabled ring on the test's locked thread, or
// skips the test with the reason io_uring is unavailable.
func newTestRing(t *testing.T) *Ring {
	t.Helper()
	if err := Check(); err != nil {
		t.Skipf("io_uring unavailable: %v", err)
	}
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	r, err := New(Options{Entries: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// reap waits for one completion and consumes it.
func reap(t *testing.T, r *Ring) CQE {
	t.Helper()
	for range 50 {
		if err := r.Enter(1, 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if head, tail := r.Peek(); head != tail {
			c := *r.CQE(head)
			r.Advance(head + 1)
			return c
		}
	}
	t.Fatal("no completion within 5 s")
	return CQE{}
}

func TestNopRoundTrip(t *testing.T) {
	r := newTestRing(t)
	if err := r.Enable(); err != nil {
		t.Fatal(err)
	}
	if !r.SingleIssuer() || !r.DeferTaskrun() {
		t.Logf("set up without SINGLE_ISSUER|DEFER_TASKRUN (single %v, defer %v)", r.SingleIssuer(), r.DeferTaskrun())
	}
	for i := range uint64(20) { // more than the 8 entries: the ring wraps
		PrepNop(r.SQE(), 1000+i)
		if c := reap(t, r); c.UserData != 1000+i || c.Res != 0 {
			t.Fatalf("completion %d: %+v", i, c)
		}
	}
}

func TestSQEFullThenSubmit(t *testing.T) {
	r := newTestRing(t)
	if err := r.Enable(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for r.SQE() != nil {
		n++
		if n > 1024 {
			t.Fatal("SQE never reports a full queue")
		}
	}
	if n != 8 {
		t.Fatalf("%d entries before full, want 8", n)
	}
	if err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if r.SQE() == nil {
		t.Fatal("queue still full after Submit")
	}
}

func TestProbeListsNetworkOps(t *testing.T) {
	r := newTestRing(t)
	p, err := r.Probe()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range needed {
		if !p.Supports(n.op) {
			t.Errorf("%s not supported", n.name)
		}
	}
	if p.Supports(opLast) {
		t.Errorf("opcode %d, past the last one this package knows, reported supported", opLast)
	}
}

func TestRecvMultishotFromBufRing(t *testing.T) {
	r, b := newTestBufRing(t, 3, 4, 4, 16)
	fds := socketPair(t)
	PrepRecvMultishot(r.SQE(), fds[0], b.Group(), 0, 7)
	// Five messages through four buffers: each completion's buffer goes
	// back before the next write, so the recv stays armed.
	for i := range 5 {
		msg := []byte{'a' + byte(i), 'b', 'c'}
		if _, err := unix.Write(fds[1], msg); err != nil {
			t.Fatal(err)
		}
		c := reap(t, r)
		if c.UserData != 7 || c.Res != 3 || c.Flags&CQEFMore == 0 || c.Flags&CQEFBuffer == 0 {
			t.Fatalf("message %d: completion %+v", i, c)
		}
		if got := b.Buffer(c.BufferID(), int(c.Res)); !bytes.Equal(got, msg) {
			t.Fatalf("message %d: buffer holds %q, want %q", i, got, msg)
		}
		b.Recycle(c.BufferID())
		b.Publish()
	}
	// The peer's FIN ends the request with Res 0 and no CQEFMore.
	unix.Close(fds[1])
	if c := reap(t, r); c.Res != 0 || c.Flags&CQEFMore != 0 {
		t.Fatalf("after FIN: completion %+v", c)
	}
}

func TestRecvMultishotRunsDry(t *testing.T) {
	r, b := newTestBufRing(t, 0, 1, 1, 16)
	// The only buffer is still held after the first byte: the next
	// finds none.
	fds, first := recvUntilDry(t, r, b, 9)
	// The byte is still in the socket: re-armed with the buffer back, the
	// recv reads it.
	b.Recycle(first.BufferID())
	b.Publish()
	PrepRecvMultishot(r.SQE(), fds[0], b.Group(), 0, 9)
	c := reap(t, r)
	if c.Res != 1 || string(b.Buffer(c.BufferID(), 1)) != "y" {
		t.Fatalf("after re-arm: completion %+v", c)
	}
}
