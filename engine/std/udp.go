package std

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/rawnet/rawnet/engine/internal/backoff"
	"github.com/rawnet/rawnet/engine/internal/ratelimit"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/sockopt"
)

// startUDP binds cfg.Loops sockets to one port and starts a reader on
// each. The first binds the requested address, port 0 included; the rest
// bind the port it got. SO_REUSEPORT must be set on every socket of the
// group before bind (socket(7)), so it is forced on when there is more
// than one.
func (s *server) startUDP() (err error) {
	opts := s.cfg.Sockopts
	if s.cfg.Loops > 1 {
		opts.ReusePort = true
	}
	lc := net.ListenConfig{Control: opts.Control}
	defer func() {
		if err != nil {
			for _, u := range s.udp {
				u.Close()
			}
			s.udp = nil
		}
	}()
	addr := s.cfg.Addr
	for i := 0; i < s.cfg.Loops; i++ {
		pc, err := lc.ListenPacket(context.Background(), s.cfg.Network, addr)
		if err != nil {
			return fmt.Errorf("engine/std: listen %s socket %d of %d: %w", s.cfg.Network, i+1, s.cfg.Loops, err)
		}
		u, ok := pc.(*net.UDPConn)
		if !ok {
			pc.Close()
			return fmt.Errorf("engine/std: listen %s returned %T, not a UDP socket", s.cfg.Network, pc)
		}
		s.udp = append(s.udp, u)
		if i == 0 {
			s.addr = u.LocalAddr()
			addr = s.addr.String()
		}
	}
	rc, err := s.udp[0].SyscallConn()
	if err != nil {
		return fmt.Errorf("engine/std: UDP socket: %w", err)
	}
	granted, err := sockopt.ReadRawConn(rc)
	if err != nil {
		return fmt.Errorf("engine/std: UDP socket options: %w", err)
	}
	s.report = sockopt.NewReport(opts, granted)
	// One limiter for every socket: see ratelimit.Limiter for why it is
	// shared rather than one per socket.
	limit, err := ratelimit.ForConfig(s.cfg)
	if err != nil {
		return fmt.Errorf("engine/std: %w", err)
	}
	s.cfg.Logger.Debug("listening", "engine", "std", "addr", s.addr.String(), "sockets", len(s.udp), "frame", s.codec.String())
	for _, u := range s.udp {
		s.wg.Add(1)
		go s.serveUDP(u, limit, s.work.Next())
	}
	return nil
}

// serveUDP echoes each datagram that is exactly one frame to its sender
// until the socket is closed. Datagrams longer than the buffer arrive cut
// short with MSG_TRUNC set (recvmsg(2)) and are dropped, never echoed in
// part. When limit is not nil, datagrams from a source over its rate are
// dropped as well. w is the socket's work, applied to each datagram before
// its echo.
func (s *server) serveUDP(u *net.UDPConn, limit *ratelimit.Limiter, w work.Runner) {
	defer s.wg.Done()
	buf := make([]byte, s.cfg.UDPBuffer)
	log := s.cfg.Logger
	var delay time.Duration
	for {
		n, _, flags, from, err := u.ReadMsgUDPAddrPort(buf, nil)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.stats.IO.Add(1)
			delay = backoff.Next(delay)
			log.Warn("UDP read failed", "err", err, "retry_in", delay)
			if !backoff.Sleep(delay, s.closing) {
				return
			}
			continue
		}
		delay = 0
		s.stats.BytesIn.Add(uint64(n))
		if flags&syscall.MSG_TRUNC != 0 {
			s.stats.Truncated.Add(1)
			log.Debug("datagram truncated, dropped", "remote", from.String(), "buffer", len(buf))
			continue
		}
		if limit != nil && !limit.Allow(from.Addr(), limit.Now()) {
			// Counted, not logged: under a flood that would be a log
			// line per datagram.
			s.stats.RateLimited.Add(1)
			continue
		}
		if !s.datagram(u, buf[:n], from, &w) {
			return
		}
	}
}

// datagram applies w's work to d and echoes it to from if it is exactly
// one frame, and counts it. It reports false once the socket is closed. A
// panic ends the datagram, logged with its stack, not the process.
func (s *server) datagram(u *net.UDPConn, d []byte, from netip.AddrPort, w *work.Runner) (open bool) {
	defer func() {
		if p := recover(); p != nil {
			s.stats.IO.Add(1)
			s.cfg.Logger.Error("panic serving datagram", "remote", from.String(), "panic", p, "stack", string(debug.Stack()))
			open = true
		}
	}()
	if k, err := frame.One(s.codec, d); err != nil {
		s.stats.FrameErrors.Add(1)
		s.cfg.Logger.Debug("datagram is not exactly one frame, dropped", "remote", from.String(),
			"bytes", len(d), "frame_bytes", k, "err", err)
		return true
	}
	w.Frames(1)
	m, err := u.WriteToUDPAddrPort(d, from)
	s.stats.BytesOut.Add(uint64(m))
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return false
		}
		s.stats.IO.Add(1)
		s.stats.Unechoed.Add(1)
		s.cfg.Logger.Debug("UDP write failed", "remote", from.String(), "err", err)
		return true
	}
	s.stats.Frames.Add(1)
	return true
}
