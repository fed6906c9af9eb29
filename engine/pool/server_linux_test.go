//go:build linux

package pool

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
)

// startTest starts a pool server with a queue of queue jobs, shut down
// when the test ends.
func startTest(t *testing.T, cfg engine.Config, queue int) *server {
	t.Helper()
	cfg, codec, err := cfg.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	s, err := startQueue(cfg, codec, queue)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return s
}

func mustWork(t *testing.T, spec string) work.Spec {
	t.Helper()
	sp, err := work.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// TestBacklog gives a pool of one worker a queue of one job and more
// connections than that, each pipelining frames numbered in order: the
// jobs that find the queue full wait in their loops' backlogs, and every
// frame still comes back, once, in order.
func TestBacklog(t *testing.T) {
	const conns, frames, size = 12, 40, 16
	s := startTest(t, engine.Config{
		Frame:   frame.Spec{Kind: frame.KindFixed, FixedSize: size},
		Workers: 1,
		Loops:   2,
		Work:    mustWork(t, "sleep:200us"),
	}, 1)
	numberedAll(t, s, conns, frames, size)
	var backlogged uint64
	for i := range s.loops {
		backlogged += s.loops[i].backlogged.Load()
	}
	if backlogged == 0 {
		t.Errorf("no job waited in a backlog; the case did not fill the queue")
	}
	// The loop counts a reply's frames once its write returns, which
	// can be after the client has read the echo: wait for the count.
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Frames != conns*frames && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := s.Stats(); st.Frames != conns*frames {
		t.Errorf("Frames = %d, want %d", st.Frames, conns*frames)
	}
}

// numbered writes frames frames of size bytes, each carrying the
// connection's id and its sequence number, all at once, and checks the
// echo frame by frame.
func numbered(srv engine.Server, id, frames, size int) error {
	c := enginetestDial(srv)
	if c == nil {
		return fmt.Errorf("dial %v failed", srv.Addr())
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	out := make([]byte, 0, frames*size)
	for seq := range frames {
		f := make([]byte, size)
		binary.BigEndian.PutUint32(f, uint32(id))
		binary.BigEndian.PutUint32(f[4:], uint32(seq))
		out = append(out, f...)
	}
	werr := make(chan error, 1)
	go func() { _, err := c.Write(out); werr <- err }()
	got := make([]byte, len(out))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if err := <-werr; err != nil {
		return err
	}
	for seq := range frames {
		f := got[seq*size:]
		if gid, gseq := binary.BigEndian.Uint32(f), binary.BigEndian.Uint32(f[4:]); gid != uint32(id) || gseq != uint32(seq) {
			return fmt.Errorf("frame %d came back as connection %d's frame %d", seq, gid, gseq)
		}
	}
	return nil
}

// enginetestDial dials srv, or returns nil.
func enginetestDial(srv engine.Server) net.Conn {
	c, err := net.DialTimeout("tcp", srv.Addr().String(), 10*time.Second)
	if err != nil {
		return nil
	}
	return c
}

// TestUDPFullQueueDrops sends datagrams faster than one slow worker with
// a queue of one can take them: those that do not fit are dropped and
// counted as not echoed, every datagram is accounted for, and the server
// still echoes afterwards.
func TestUDPFullQueueDrops(t *testing.T) {
	const sent = 40
	s := startTest(t, engine.Config{Network: "udp", Loops: 1, Workers: 1, Work: mustWork(t, "sleep:20ms")}, 1)
	c, err := net.Dial("udp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range sent {
		if _, err := c.Write([]byte(fmt.Sprintf("datagram %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if !enginetest.PollUntil(10*time.Second, func() bool {
		st := s.Stats()
		return st.Frames+st.Errors.Unechoed == sent
	}) {
		t.Fatalf("stats %+v: want %d datagrams echoed or dropped", s.Stats(), sent)
	}
	st := s.Stats()
	if st.Errors.Unechoed == 0 || st.Frames == 0 || st.FramesIn != sent {
		t.Errorf("%d echoed, %d dropped, %d frames in; want some of each of %d", st.Frames, st.Errors.Unechoed, st.FramesIn, sent)
	}
}

// TestThreadWorkersBlockThreads runs one frame per worker through sleep
// work: thread workers sleep in nanosleep(2) on threads of their own, so
// the process has a thread in nanosleep per sleeping worker. (Counting
// the process's threads instead would depend on how many idle threads
// the runtime kept for the workers to take.)
func TestThreadWorkersBlockThreads(t *testing.T) {
	const workers = 8
	s := startTest(t, engine.Config{Workers: workers, Loops: 1, Work: mustWork(t, "sleep:3s")}, 64)
	wg := sendOneEach(t, s, workers)
	// The runtime's sysmon may nap in nanosleep too, so at least one per
	// worker, not exactly one.
	if !enginetest.PollUntil(2500*time.Millisecond, func() bool { return inNanosleep(t) >= workers }) {
		t.Errorf("%d threads in nanosleep with %d thread workers asleep; want at least one per worker", inNanosleep(t), workers)
	}
	wg.Wait()
}

// inNanosleep counts the process's threads blocked in nanosleep(2), from
// the system call each is in (/proc/self/task/TID/syscall, proc(5)).
func inNanosleep(t *testing.T) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	want := strconv.Itoa(unix.SYS_NANOSLEEP) + " "
	n := 0
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/syscall")
		if err == nil && strings.HasPrefix(string(b), want) {
			n++
		}
	}
	return n
}

// TestOutboxOneSubmitForManyConns queues the frames of many connections
// behind the pool's one busy worker; with no work to apply, the worker
// holds their replies and hands them to their loop with one Submit once
// the queue is empty, and every connection gets its echo.
func TestOutboxOneSubmitForManyConns(t *testing.T) {
	const conns, size = 20, 16
	s := startTest(t, engine.Config{
		Frame:   frame.Spec{Kind: frame.KindFixed, FixedSize: size},
		Workers: 1,
		Loops:   1,
	}, conns+1)
	setProcs(s.pool, 1)
	started, release := make(chan struct{}, 1), make(chan struct{})
	var dropped atomic.Int32
	s.pool.push(blocker(started, release, &dropped))
	<-started
	cs := make([]net.Conn, conns)
	for i := range cs {
		c := enginetestDial(s)
		if c == nil {
			t.Fatalf("dial %v failed", s.Addr())
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		f := make([]byte, size)
		binary.BigEndian.PutUint32(f, uint32(i))
		if _, err := c.Write(f); err != nil {
			t.Fatal(err)
		}
		cs[i] = c
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.pool.queued() != conns && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if q := s.pool.queued(); q != conns {
		t.Fatalf("%d jobs queued, want one per connection, %d", q, conns)
	}
	before := s.replySubmits.Load()
	close(release)
	for i, c := range cs {
		got := make([]byte, size)
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if id := binary.BigEndian.Uint32(got); id != uint32(i) {
			t.Fatalf("connection %d got connection %d's frame", i, id)
		}
	}
	if n := s.replySubmits.Load() - before; n != 1 {
		t.Fatalf("%d Submits for the replies of %d connections, want 1", n, conns)
	}
}

// TestOrderWithHeldReplies pipelines numbered frames on many connections
// to a pool that holds replies back (no work) and whose small queue
// sends jobs to the loops' backlogs: every frame comes back once, in
// order, on its own connection.
func TestOrderWithHeldReplies(t *testing.T) {
	const conns, frames, size = 16, 300, 16
	s := startTest(t, engine.Config{
		Frame:   frame.Spec{Kind: frame.KindFixed, FixedSize: size},
		Workers: 2,
		Loops:   2,
	}, 4)
	numberedAll(t, s, conns, frames, size)
}

// TestThreadParkWorkersPark runs one frame per worker through sleep work
// with thread-park workers: the workers are locked to threads of their
// own, as thread workers are, but none of those threads is in
// nanosleep(2), since the sleep parks the worker's goroutine. (Counting
// the process's threads would depend on the idle threads the runtime
// kept from earlier tests.)
func TestThreadParkWorkersPark(t *testing.T) {
	const workers = 8
	s := startTest(t, engine.Config{Workers: workers, Loops: 1, WorkerKind: engine.WorkerThreadPark, Work: mustWork(t, "sleep:2s")}, 64)
	wg := sendOneEach(t, s, workers)
	if !enginetest.PollUntil(1500*time.Millisecond, func() bool { return s.pool.blocked.Load() == workers }) {
		t.Fatalf("%d workers asleep, want %d", s.pool.blocked.Load(), workers)
	}
	// The runtime's sysmon may nap in nanosleep, so one is allowed.
	if n := inNanosleep(t); n > 1 {
		t.Errorf("%d threads in nanosleep with %d thread-park workers asleep; want none but the runtime's monitor", n, workers)
	}
	if !s.pool.lock {
		t.Error("thread-park workers are not locked to threads of their own")
	}
	wg.Wait()
}

// sendOneEach opens n connections to s and sends one byte on each from a
// goroutine of its own that then waits for the echo; the returned group
// is done once every echo came back or failed (20 s at most). The
// connections close when the test ends.
func sendOneEach(t *testing.T, s *server, n int) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		c := enginetestDial(s)
		if c == nil {
			t.Fatal("dial failed")
		}
		t.Cleanup(func() { c.Close() })
		wg.Go(func() {
			c.SetDeadline(time.Now().Add(20 * time.Second))
			c.Write([]byte("x"))
			io.ReadFull(c, make([]byte, 1))
		})
	}
	return &wg
}

// numberedAll runs numbered on conns connections at once and reports
// each one's error; it returns when all are done.
func numberedAll(t *testing.T, s *server, conns, frames, size int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			if err := numbered(s, i, frames, size); err != nil {
				t.Errorf("connection %d: %v", i, err)
			}
		})
	}
	wg.Wait()
}
