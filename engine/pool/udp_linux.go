//go:build linux

package pool

import (
	"errors"
	"log/slog"
	"net/netip"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/ratelimit"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/netpoll"
)

// UDP: the loops read datagrams in batches and check them (rate limit,
// exactly one frame), as the epoll engine does; a worker applies the
// work and sends the reply itself, with sendto(2) on a duplicate of the
// loop's socket. A datagram has no order to keep and no connection to
// write through, and netpoll sends a loop's replies only from within
// the OnPacket call that received the datagram. The duplicates are the
// workers' own, closed after the workers stop, so a reply never goes to
// a descriptor number netpoll has closed and reused.
//
// A datagram that finds the pool's queue full, or the datagrams waiting
// for workers holding udpBytes already, is dropped and counted as not
// echoed: a UDP server cannot make one sender wait, and reading on is
// what keeps the other senders served.

// udpBytes bounds the bytes of datagrams queued for or held by workers.
const udpBytes = 16 << 20

// udpSock is a worker's descriptor of one loop's UDP socket.
type udpSock struct {
	fd int
	v6 bool // an AF_INET6 socket, which needs IPv6 addresses
}

// udpHandler hands datagrams that hold exactly one frame to the workers.
type udpHandler struct {
	s     *server
	codec frame.Codec
	log   *slog.Logger
	// limit is shared by every loop's socket, nil when off (see
	// ratelimit.Limiter).
	limit *ratelimit.Limiter
	// inFlight is the bytes of datagrams in the pool, under udpBytes.
	inFlight atomic.Int64
}

// newUDPHandler returns the handler of a UDP server started with cfg.
func newUDPHandler(s *server, codec frame.Codec, cfg engine.Config) (*udpHandler, error) {
	limit, err := ratelimit.ForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &udpHandler{s: s, codec: codec, log: cfg.Logger, limit: limit}, nil
}

// OnPacket copies a datagram that is exactly one frame, with its
// sender, into a task for the workers, or drops and counts it.
func (h *udpHandler) OnPacket(p *netpoll.Packet) {
	ls := &h.s.loops[p.Loop().Index()]
	if h.limit != nil && !h.limit.Allow(p.From().Addr(), h.limit.Now()) {
		// Counted, not logged: under a flood that would be a log line
		// per datagram.
		ls.RateLimited.Add(1)
		return
	}
	data := p.Data()
	n, err := frame.One(h.codec, data)
	if err != nil {
		ls.FrameErrors.Add(1)
		h.log.Debug("datagram is not exactly one frame, dropped", "remote", p.From(),
			"bytes", len(data), "frame", n, "err", err)
		return
	}
	if h.inFlight.Add(int64(len(data))) > udpBytes {
		h.inFlight.Add(-int64(len(data)))
		ls.Unechoed.Add(1)
		return
	}
	t := udpTasks.get(len(data), func(size int) *udpTask { return &udpTask{buf: make([]byte, 0, size)} })
	t.h, t.loop, t.buf = h, p.Loop().Index(), append(t.buf[:0], data...)
	t.to = h.sockaddr(t, p.From())
	if !h.s.pool.push(t) {
		t.drop()
	}
}

// sockaddr returns the address to reply to, from t's own storage so that
// it allocates nothing, in the family of the loop's socket.
func (h *udpHandler) sockaddr(t *udpTask, from netip.AddrPort) unix.Sockaddr {
	if h.s.socks[t.loop].v6 {
		t.sa6 = unix.SockaddrInet6{Port: int(from.Port()), Addr: from.Addr().As16()}
		return &t.sa6
	}
	t.sa4 = unix.SockaddrInet4{Port: int(from.Port()), Addr: from.Addr().As4()}
	return &t.sa4
}

// udpTask is one datagram on its way to a worker and back to its sender.
type udpTask struct {
	h    *udpHandler
	loop int    // the index of the loop that read it
	buf  []byte // the datagram; cap is the buffer's size
	to   unix.Sockaddr
	sa4  unix.SockaddrInet4
	sa6  unix.SockaddrInet6
}

// udpTasks recycles tasks with their buffers.
var udpTasks pools[udpTask]

// run applies the work to the datagram and sends it back itself, never
// through an outbox. A socket that
// cannot take the reply at once (EAGAIN: it is non-blocking, as netpoll
// opened it) drops it.
func (t *udpTask) run(r *work.Runner, _ outbox) {
	r.Frames(1)
	ls := &t.h.s.loops[t.loop]
	var err error
	for {
		err = unix.Sendto(t.h.s.socks[t.loop].fd, t.buf, 0, t.to)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		ls.IO.Add(1)
		ls.Unechoed.Add(1)
		t.h.log.Debug("UDP reply not sent", "err", err)
	} else {
		ls.Frames.Add(1)
		ls.BytesOut.Add(uint64(len(t.buf)))
	}
	t.release()
}

// drop gives up t, counting it as not echoed.
func (t *udpTask) drop() {
	t.h.s.loops[t.loop].Unechoed.Add(1)
	t.release()
}

// release recycles t and gives its bytes back to the bound.
func (t *udpTask) release() {
	t.h.inFlight.Add(-int64(len(t.buf)))
	t.h, t.to = nil, nil
	udpTasks.put(t, cap(t.buf))
}
