// Package uring is the io_uring engine: the epoll engine's handlers,
// framing, budgets and counters on netpoll's completion backend
// (netpoll.BackendUring), so that the two differ only in how the loop
// talks to the kernel. Each loop, locked to its OS thread, keeps a
// multishot accept on its listener and a multishot recv on every
// connection, fed from a provided buffer ring, queues its echoes with
// one send in flight per connection, and submits and reaps everything
// with one io_uring_enter per round.
//
// UDP waits for readiness through the ring and then moves datagrams with
// the epoll engine's recvmmsg and sendmmsg batches (netpoll's
// uring_udp_linux.go): there is no multishot recvmsg path yet.
//
// It needs Linux 6.0 or later with io_uring
// allowed: kernel.io_uring_disabled at 0 (or 1 with the process in
// kernel.io_uring_group) and no seccomp filter denying it, as the
// default profiles of Docker and containerd do. Start refuses otherwise
// with the cause and a pointer to the epoll engine.
package uring

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/epoll"
	"github.com/rawnet/rawnet/netpoll"
)

// Engine is the io_uring engine. Its zero value is ready to use.
type Engine struct{}

// Name returns "uring".
func (Engine) Name() string { return "uring" }

// Available returns nil if io_uring can serve here, or the reason it
// cannot, in one line.
func (Engine) Available() error {
	err := netpoll.CheckBackend(netpoll.BackendUring)
	if err == nil {
		return nil
	}
	// The cause alone: callers say what was unavailable.
	return errors.New(strings.TrimPrefix(err.Error(), netpoll.ErrBackendUnavailable.Error()+": "))
}

// Start refuses a host without a usable io_uring, naming the cause and
// suggesting --engine epoll; otherwise it starts the epoll engine's
// server on netpoll's io_uring backend.
func (e Engine) Start(cfg engine.Config) (engine.Server, error) {
	if err := e.Available(); err != nil {
		return nil, fmt.Errorf("uring engine: io_uring unavailable: %w; use --engine epoll", err)
	}
	return epoll.StartOn(cfg, netpoll.BackendUring)
}
