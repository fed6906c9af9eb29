package gnetengine

import (
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/sockopt"
)

// end says why the adapter closed a connection.
type end int

const (
	endNone  end = iota // the adapter did not close it: EOF, error or gnet
	endFrame            // bad framing
	endIdle             // nothing arrived within IdleTimeout
	endWrite            // output made no progress within WriteTimeout
	endDrain            // drained during Shutdown
)

// conn is the adapter's state for one TCP connection, kept as the gnet
// connection's context. Fields under "loop only" are touched only on the
// connection's event loop; the ticker goroutine reads the atomics.
type conn struct {
	c    gnet.Conn
	loop gnet.EventLoop

	last     atomic.Int64 // s.clock at the last input that was not part of a frame in progress
	paused   atomic.Bool  // mirrors isPaused for the ticker
	queued   atomic.Int64 // output queued in gnet, in bytes, at the last event
	checking atomic.Bool  // a check is scheduled on the loop

	opened time.Time // when OnOpen admitted it

	// loop only
	closed   bool
	why      end
	isPaused bool  // output passed WriteLimit: input is left unread
	buffered int   // InboundBuffered after the last echo, to count BytesIn
	written  int64 // bytes handed to gnet for writing
	sent     int64 // written minus OutboundBuffered at the last progress
	progress int64 // s.clock at the last progress of queued output
	work     work.Runner
}

// OnOpen admits a connection, or closes it at once when MaxConns are open
// or Shutdown has begun.
func (s *server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	s.stats.Accepted.Add(1)
	if s.draining.Load() {
		// gnet has no way to stop accepting while its loops run.
		s.stats.Close(stat.Shutdown, 0)
		return nil, gnet.Close
	}
	if !s.admit() {
		s.stats.Rejected.Add(1)
		return nil, gnet.Close
	}
	s.applyConnOptions(c.Fd())
	st := &conn{c: c, loop: c.EventLoop(), opened: time.Now(), work: s.work.Next()}
	st.last.Store(s.clock.Load())
	c.SetContext(st)
	s.mu.Lock()
	s.conns[st] = struct{}{}
	s.mu.Unlock()
	return nil, gnet.None
}

// admit counts a new connection in Active unless MaxConns are open. Loops
// admit concurrently, so the check and the increment are one CAS.
func (s *server) admit() bool {
	for {
		n := s.stats.Active.Load()
		if s.cfg.MaxConns > 0 && n >= int64(s.cfg.MaxConns) {
			return false
		}
		if s.stats.Active.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// applyConnOptions sets the per-connection options gnet has no option for.
func (s *server) applyConnOptions(fd int) {
	o := s.cfg.Sockopts
	var errs []error
	if o.QuickAck {
		errs = append(errs, sockopt.SetQuickAck(fd, true))
	}
	if o.BusyPoll > 0 {
		errs = append(errs, sockopt.SetBusyPoll(fd, o.BusyPoll))
	}
	if o.ForceBuf && o.RecvBuf > 0 {
		errs = append(errs, sockopt.SetRecvBuf(fd, o.RecvBuf, true))
	}
	if o.ForceBuf && o.SendBuf > 0 {
		errs = append(errs, sockopt.SetSendBuf(fd, o.SendBuf, true))
	}
	if err := errors.Join(errs...); err != nil {
		s.cfg.Logger.Warn("socket options not applied", "err", err)
	}
}

// OnTraffic echoes the complete frames buffered on c, unless its output
// is past WriteLimit: then the input stays in gnet's buffer until the
// output drains. gnet has read it already and keeps reading (see
// ENGINES.md, backpressure).
func (s *server) OnTraffic(c gnet.Conn) gnet.Action {
	if s.cfg.IsUDP() {
		return s.datagram(c)
	}
	st, ok := c.Context().(*conn)
	if !ok {
		return gnet.Close // not admitted; gnet is closing it
	}
	if st.buffered == 0 || s.draining.Load() {
		// Input that only adds to a frame in progress is not activity:
		// IdleTimeout bounds the frame (engine.Config.IdleTimeout), and
		// echo notes when a frame completes. While draining every byte
		// counts, so that a peer still sending is served.
		st.last.Store(s.clock.Load())
	}
	if n := c.InboundBuffered(); n > st.buffered {
		s.stats.BytesIn.Add(uint64(n - st.buffered))
		st.buffered = n
	}
	return s.serve(st)
}

// serve echoes what st holds and updates its pause and progress state. It
// runs on st's loop, from OnTraffic or from a tick check.
func (s *server) serve(st *conn) gnet.Action {
	c := st.c
	if st.isPaused {
		if c.OutboundBuffered() >= s.cfg.WriteLimit {
			return gnet.None
		}
		st.isPaused = false
		s.stats.Resumed.Add(1)
	}
	ferr := s.echo(st)
	out := c.OutboundBuffered()
	if ferr != nil {
		s.stats.FrameErrors.Add(1)
		s.cfg.Logger.Warn("closing connection: bad frame", "remote", c.RemoteAddr().String(), "codec", s.codec.String(), "err", ferr)
		st.why = endFrame
		return gnet.Close
	}
	if out >= s.cfg.WriteLimit {
		st.isPaused = true
		s.stats.Backpressure.Add(1)
	}
	s.noteProgress(st, out)
	return gnet.None
}

// echo writes back the complete frames buffered on c in one write and
// discards them. When the whole input is in gnet's read buffer, Peek
// returns it in place and nothing is copied unless the socket is full.
// It returns the codec's error once the frames before the bad one are
// written.
func (s *server) echo(st *conn) error {
	c := st.c
	buf, _ := c.Peek(-1)
	p, frames, ferr := frame.Scan(s.codec, buf)
	if p > 0 {
		st.work.Frames(frames)
		// gnet copies what the socket does not take into its
		// outbound buffer; a write error closes c inside gnet.
		n, err := c.Write(buf[:p])
		if err == nil {
			st.written += int64(n)
			s.stats.BytesOut.Add(uint64(n))
			s.stats.Frames.Add(uint64(frames))
		} else {
			s.stats.Unechoed.Add(uint64(frames))
		}
		_, _ = c.Discard(p)
		st.buffered = c.InboundBuffered()
		st.last.Store(s.clock.Load())
	}
	return ferr
}

// noteProgress records how much output is queued and when it last moved,
// for the write timeout, the pause check and Stats.OutputQueued.
func (s *server) noteProgress(st *conn, out int) {
	sent := st.written - int64(out)
	if out == 0 || sent != st.sent {
		st.sent = sent
		st.progress = s.clock.Load()
	}
	st.paused.Store(st.isPaused)
	st.queued.Store(int64(out))
}

// OnClose counts why c closed, with how long it lived. After a clean end
// (the peer's EOF or a bad frame) it echoes the complete frames still
// buffered and has gnet flush the output before closing (see flush.go).
func (s *server) OnClose(c gnet.Conn, err error) gnet.Action {
	st, ok := c.Context().(*conn)
	if !ok {
		return gnet.None // rejected in OnOpen
	}
	st.closed = true
	eof := errors.Is(err, io.EOF)
	if !s.forced.Load() && (eof || st.why == endFrame) {
		if eof {
			if err := s.echo(st); err != nil {
				s.stats.FrameErrors.Add(1)
			}
		}
		if c.OutboundBuffered() > 0 {
			s.flushOnClose(st)
		}
	}
	if err != nil && !eof && !s.forced.Load() {
		s.stats.IO.Add(1)
		s.cfg.Logger.Debug("connection error", "err", err)
	}
	s.stats.Active.Add(-1)
	s.stats.Close(s.reason(st, err), time.Since(st.opened))
	s.mu.Lock()
	delete(s.conns, st)
	if s.draining.Load() && len(s.conns) == 0 {
		s.closeDrained()
	}
	s.mu.Unlock()
	return gnet.None
}

// reason returns the stat.Reason a connection that closed with err is
// counted under.
func (s *server) reason(st *conn, err error) stat.Reason {
	switch st.why {
	case endFrame:
		return stat.Frame
	case endIdle:
		return stat.Idle
	case endWrite:
		return stat.WriteTimeout
	case endDrain:
		return stat.Shutdown
	}
	// gnet reports the peer's EOF as an error wrapping io.EOF, and no
	// error at all when it closes connections because it is stopping
	// (eventloop.closeConns).
	switch {
	case s.forced.Load() || err == nil:
		return stat.Shutdown
	case errors.Is(err, io.EOF):
		return stat.Peer
	}
	return stat.IO
}
