package std

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/rawnet/rawnet/engine/internal/backoff"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/sockopt"
)

// startTCP binds the listener, reads back its options and starts the
// accept loop.
func (s *server) startTCP() (err error) {
	// KeepAlive -1 stops package net from turning on its default 15s
	// keepalive for accepted connections: sockopt.Options decides.
	lc := net.ListenConfig{Control: s.cfg.Sockopts.Control, KeepAlive: -1}
	// Since Go 1.24 listeners use MPTCP by default where the kernel has
	// it (IPPROTO_MPTCP, golang.org/issue/56539). rawnet compares
	// engines on plain TCP, which the others open with socket(2)
	// directly, so std asks for plain TCP too.
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), s.cfg.Network, s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("engine/std: listen: %w", err)
	}
	ln, ok := l.(*net.TCPListener)
	if !ok {
		l.Close()
		return fmt.Errorf("engine/std: listen %s returned %T, not a TCP listener", s.cfg.Network, l)
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	rc, err := ln.SyscallConn()
	if err != nil {
		return fmt.Errorf("engine/std: listener: %w", err)
	}
	// The per-connection options go on the listener too: Linux clones an
	// accepted socket from its listener, TCP_NODELAY included
	// (inet_csk_clone_lock), and the report then shows what connections
	// get. They are set again on each connection below, because package
	// net sets TCP_NODELAY on accept regardless.
	if err := s.cfg.Sockopts.ApplyRawConn(rc); err != nil {
		return fmt.Errorf("engine/std: listener options: %w", err)
	}
	granted, err := sockopt.ReadRawConn(rc)
	if err != nil {
		return fmt.Errorf("engine/std: listener options: %w", err)
	}
	if s.turns, err = newTurns(); err != nil {
		return fmt.Errorf("engine/std: %w", err)
	}
	s.ln = ln
	s.addr = ln.Addr()
	s.report = sockopt.NewReport(s.cfg.Sockopts, granted)
	s.cfg.Logger.Debug("listening", "engine", "std", "addr", s.addr.String(), "frame", s.codec.String())
	s.wg.Add(1)
	go s.accept()
	return nil
}

// accept runs until the listener is closed. A failed accept (EMFILE,
// ENFILE, ENOBUFS) is counted and followed by a growing pause, so fd
// exhaustion neither spins the loop nor stops the server.
func (s *server) accept() {
	defer s.wg.Done()
	var delay time.Duration
	for {
		c, err := s.ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.stats.Accept.Add(1)
			if outOfDescriptors(err) {
				s.stats.EMFILE.Add(1)
			}
			delay = backoff.Next(delay)
			s.cfg.Logger.Warn("accept failed", "err", err, "retry_in", delay)
			if !backoff.Sleep(delay, s.closing) {
				return
			}
			continue
		}
		delay = 0
		s.stats.Accepted.Add(1)
		if s.cfg.MaxConns > 0 && s.stats.Active.Load() >= int64(s.cfg.MaxConns) {
			s.stats.Rejected.Add(1)
			s.cfg.Logger.Debug("connection rejected: max connections reached",
				"remote", c.RemoteAddr().String(), "max_conns", s.cfg.MaxConns)
			c.Close()
			continue
		}
		if !s.track(c) {
			c.Close()
			s.stats.Close(stat.Shutdown, 0)
			return
		}
		go s.serve(c, s.work.Next())
	}
}

// outOfDescriptors reports an accept error that lasts until descriptors
// or kernel memory are freed (accept(2)).
func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}
