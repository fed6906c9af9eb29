package gnetengine

import (
	"context"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// Tick periods and the drain rule.
const (
	// tickSlow is the period of the checks for idle and stalled
	// connections; a quarter of IdleTimeout or WriteTimeout when shorter.
	tickSlow = 100 * time.Millisecond
	// tickFast is the period while a connection is paused or the server
	// drains: gnet calls nothing when a paused connection's output has
	// drained, so the adapter polls to resume it.
	tickFast = 2 * time.Millisecond
	// drainQuiet is how long a connection must be quiet, with its output
	// sent, before Shutdown closes it as drained.
	drainQuiet = 200 * time.Millisecond
)

// OnTick marks the server ready on its first call, which gnet makes once
// every event loop is serving, then schedules the checks gnet has no hook
// for on the loops of the connections that need them.
func (s *server) OnTick() (time.Duration, gnet.Action) {
	now := time.Now().UnixNano()
	s.clock.Store(now)
	s.readyOnce.Do(func() {
		s.reserved.release()
		close(s.ready)
	})
	fast := s.schedule(now)
	return s.tickPeriod(fast), gnet.None
}

// tickPeriod returns the delay until the next tick.
func (s *server) tickPeriod(fast bool) time.Duration {
	if fast || s.draining.Load() {
		return tickFast
	}
	d := tickSlow
	if t := s.cfg.IdleTimeout; t > 0 {
		d = min(d, t/4)
	}
	if t := s.cfg.WriteTimeout; t > 0 {
		d = min(d, t/4)
	}
	return max(d, tickFast)
}

// schedule queues a check, one task per event loop, for every connection
// that is paused, has output queued (for the write timeout, and so that
// Stats.OutputQueued sees it drain), may be idle, or must be drained. It
// reports whether any connection is paused.
func (s *server) schedule(now int64) (paused bool) {
	idle := s.cfg.IdleTimeout.Nanoseconds()
	draining := s.draining.Load()
	byLoop := make(map[gnet.EventLoop][]*conn)
	s.mu.Lock()
	for st := range s.conns {
		p := st.paused.Load()
		paused = paused || p
		due := p || draining ||
			st.queued.Load() > 0 ||
			(idle > 0 && now-st.last.Load() >= idle)
		if due && !st.checking.Swap(true) {
			byLoop[st.loop] = append(byLoop[st.loop], st)
		}
	}
	s.mu.Unlock()
	for loop, list := range byLoop {
		task := func(context.Context) error {
			for _, st := range list {
				s.check(st)
			}
			return nil
		}
		if err := loop.Execute(context.Background(), gnet.RunnableFunc(task)); err != nil {
			for _, st := range list {
				st.checking.Store(false)
			}
		}
	}
	return paused
}

// check runs on st's loop: it resumes a paused connection whose output
// has drained and closes one that is stalled, idle or drained.
func (s *server) check(st *conn) {
	st.checking.Store(false)
	if st.closed {
		return
	}
	c := st.c
	if st.isPaused {
		if s.serve(st) == gnet.Close {
			_ = st.loop.Close(c)
			return
		}
	}
	now := s.clock.Load()
	out := c.OutboundBuffered()
	s.noteProgress(st, out)
	quiet := now - st.last.Load()
	switch {
	case s.cfg.WriteTimeout > 0 && out > 0 && now-st.progress >= s.cfg.WriteTimeout.Nanoseconds():
		st.why = endWrite
		s.stats.WriteTimeout.Add(1)
		s.cfg.Logger.Info("write timeout", "remote", c.RemoteAddr().String(), "after", s.cfg.WriteTimeout)
	case out > 0 || st.isPaused:
		return
	case s.cfg.IdleTimeout > 0 && quiet >= s.cfg.IdleTimeout.Nanoseconds():
		st.why = endIdle
		s.stats.Idle.Add(1)
		if n := c.InboundBuffered(); n > 0 {
			s.cfg.Logger.Info("frame not completed in time", "remote", c.RemoteAddr().String(),
				"after", s.cfg.IdleTimeout, "bytes", n)
		} else {
			s.cfg.Logger.Info("idle timeout", "remote", c.RemoteAddr().String(), "after", s.cfg.IdleTimeout)
		}
	case s.draining.Load() && quiet >= drainQuiet.Nanoseconds() &&
		now-s.drainStart.Load() >= drainQuiet.Nanoseconds() && sendQueueEmpty(c.Fd()):
		st.why = endDrain
	default:
		return
	}
	_ = st.loop.Close(c)
}

// sendQueueEmpty reports whether the kernel holds no unsent or unacked
// output for fd (SIOCOUTQ, tcp(7)): an echo gnet has written may still
// wait there for a peer that does not read, and a drained connection
// must have delivered it.
func sendQueueEmpty(fd int) bool {
	n, err := unix.IoctlGetInt(fd, unix.SIOCOUTQ)
	return err != nil || n == 0
}
