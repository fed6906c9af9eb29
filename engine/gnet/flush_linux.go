package gnetengine

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// flushTimeout is how long a close-time flush may go without progress
// when WriteTimeout is not set.
const flushTimeout = time.Second

// flushOnClose makes gnet's close deliver all queued output, bounded in
// time.
//
// After OnClose returns, gnet writes what is left in the connection's
// outbound buffer once, until the socket is full, then closes the fd and
// drops the rest (eventloop.close in eventloop_unix.go). A peer that
// half-closes after sending more than the socket buffers hold would lose
// the tail of its echo. So the adapter puts the socket in blocking mode:
// gnet's final writes then wait until the peer has taken everything.
//
// This stalls the connection's event loop while the peer reads. A
// watchdog ends a flush that makes no progress, as the write timeout ends
// a connection whose output is stuck: it looks at the bytes the peer has
// acknowledged (tcpi_bytes_acked, TCP_INFO in tcp(7), Linux 4.1 on) four
// times per WriteTimeout (flushTimeout when unset), and once none were
// acknowledged for that long it calls shutdown(2) on a duplicate of the
// socket, which fails the blocked write with EPIPE (a blocked sender is
// woken by the state change, tcp(7)), and gnet closes the connection. A
// slow reader that keeps reading gets its whole echo; the price is that
// the loop stalls for as long as it reads, which gnet, with no way to hand
// the tail of its outbound buffer to another goroutine, leaves no way
// around. The duplicate keeps the socket alive until a task queued on the
// loop, which runs after gnet's close, releases it, so the watchdog never
// touches an fd number gnet has closed and the kernel may have reused.
func (s *server) flushOnClose(st *conn) {
	fd := st.c.Fd()
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		s.cfg.Logger.Debug("close-time flush skipped", "err", err)
		return
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(dup)
		s.cfg.Logger.Debug("close-time flush skipped", "err", err)
		return
	}
	limit := s.cfg.WriteTimeout
	if limit <= 0 {
		limit = flushTimeout
	}
	f := watchFlush(dup, limit)
	s.mu.Lock()
	s.flushes[f] = struct{}{}
	s.mu.Unlock()
	done := func(context.Context) error {
		s.mu.Lock()
		delete(s.flushes, f)
		s.mu.Unlock()
		f.release()
		return nil
	}
	// If the engine stops before the task runs, run releases f once
	// gnet.Run has returned and every connection fd is closed.
	_ = st.loop.Execute(context.Background(), gnet.RunnableFunc(done))
}

// releaseFlushes releases the flushes whose release task did not run
// because gnet stopped first. It is called after gnet.Run has returned.
func (s *server) releaseFlushes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for f := range s.flushes {
		f.release()
		delete(s.flushes, f)
	}
}

// flush is one close-time flush's watchdog and duplicate fd.
type flush struct {
	mu    sync.Mutex
	fd    int // duplicate of the connection's socket; -1 once released
	timer *time.Timer
	limit time.Duration // how long the flush may go without progress
	acked uint64        // bytes the peer had acknowledged at the last look
	since time.Time     // when acked last grew
}

// watchFlush starts the watchdog of a flush through dup, a duplicate of
// the connection's socket, that may go limit without progress.
func watchFlush(dup int, limit time.Duration) *flush {
	f := &flush{fd: dup, limit: limit, since: time.Now()}
	f.acked, _ = ackedBytes(dup)
	// Under the lock, so that watch sees the timer it resets.
	f.mu.Lock()
	f.timer = time.AfterFunc(limit/4, f.watch)
	f.mu.Unlock()
	return f
}

// watch runs on the watchdog's timer: it notes progress, and shuts the
// socket down to end a flush that made none for limit.
func (f *flush) watch() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fd < 0 {
		return
	}
	now := time.Now()
	if acked, err := ackedBytes(f.fd); err == nil && acked != f.acked {
		f.acked, f.since = acked, now
	}
	if now.Sub(f.since) >= f.limit {
		_ = unix.Shutdown(f.fd, unix.SHUT_RDWR)
		return
	}
	f.timer.Reset(f.limit / 4)
}

// ackedBytes returns the bytes of output the peer has acknowledged on fd.
func ackedBytes(fd int) (uint64, error) {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt TCP_INFO", err)
	}
	return info.Bytes_acked, nil
}

// release stops the watchdog and closes the duplicate, once.
func (f *flush) release() {
	f.timer.Stop()
	f.mu.Lock()
	if f.fd >= 0 {
		unix.Close(f.fd)
		f.fd = -1
	}
	f.mu.Unlock()
}
