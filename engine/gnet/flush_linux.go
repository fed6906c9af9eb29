package gnetengine

import (
	"context"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// flushTimeout bounds a close-time flush when WriteTimeout is not set.
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
// watchdog bounds the stall: after WriteTimeout (flushTimeout when unset)
// it calls shutdown(2) on a duplicate of the socket, which fails the
// blocked write with EPIPE (a blocked sender is woken by the state change,
// tcp(7)), and gnet closes the connection. The duplicate keeps the socket
// alive until a task queued on the loop, which runs after gnet's close,
// releases it, so the watchdog never touches an fd number gnet has closed
// and the kernel may have reused.
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
	f := &flush{fd: dup}
	f.timer = time.AfterFunc(limit, f.expire)
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
}

// expire shuts the socket down to end a flush that took too long.
func (f *flush) expire() {
	f.mu.Lock()
	if f.fd >= 0 {
		_ = unix.Shutdown(f.fd, unix.SHUT_RDWR)
	}
	f.mu.Unlock()
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
