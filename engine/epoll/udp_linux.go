//go:build linux

package epoll

import (
	"log/slog"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/ratelimit"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/netpoll"
)

// udpHandler echoes datagrams that hold exactly one frame.
type udpHandler struct {
	s     *server
	codec frame.Codec
	log   *slog.Logger
	// limit is shared by every loop's socket, nil when off. Each loop
	// has its own SO_REUSEPORT socket, and the kernel spreads a source
	// that varies its port over all of them (see ratelimit.Limiter),
	// so one lock-free limiter serves them all.
	limit *ratelimit.Limiter
	// work holds each loop's Runner, indexed by Loop.Index, or is nil
	// when there is no work.
	work []work.Runner
}

// newUDPHandler returns the handler of a UDP server started with cfg.
func newUDPHandler(s *server, codec frame.Codec, cfg engine.Config) (*udpHandler, error) {
	limit, err := ratelimit.ForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &udpHandler{s: s, codec: codec, log: cfg.Logger, limit: limit, work: loopWork(cfg)}, nil
}

// OnPacket replies with the datagram itself, which the loop sends
// without copying in the batch's sendmmsg, or drops and counts it when
// its source is over the rate limit or it is not exactly one frame.
func (h *udpHandler) OnPacket(p *netpoll.Packet) {
	if h.limit != nil && !h.limit.Allow(p.From().Addr(), h.limit.Now()) {
		// Counted, not logged: under a flood that would be a log line
		// per datagram.
		h.s.counters(p.Loop()).RateLimited.Add(1)
		return
	}
	data := p.Data()
	n, err := frame.One(h.codec, data)
	if err != nil {
		h.s.counters(p.Loop()).FrameErrors.Add(1)
		h.log.Debug("datagram is not exactly one frame, dropped", "remote", p.From(),
			"bytes", len(data), "frame", n, "err", err)
		return
	}
	if h.work != nil {
		h.work[p.Loop().Index()].Frames(1)
	}
	p.Reply(data)
	h.s.counters(p.Loop()).Frames.Add(1)
}
