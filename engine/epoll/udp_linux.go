//go:build linux

package epoll

import (
	"log/slog"

	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/netpoll"
)

// udpHandler echoes datagrams that hold exactly one frame.
type udpHandler struct {
	s     *server
	codec frame.Codec
	log   *slog.Logger
}

// OnPacket replies with the datagram itself, which the loop sends
// without copying in the batch's sendmmsg, or drops and counts it when it
// is not exactly one frame.
func (h *udpHandler) OnPacket(p *netpoll.Packet) {
	data := p.Data()
	n, err := h.codec.Next(data)
	if err != nil || n != len(data) {
		h.s.counters(p.Loop()).FrameErrors.Add(1)
		h.log.Debug("datagram is not exactly one frame, dropped", "remote", p.From(),
			"bytes", len(data), "frame", n, "err", err)
		return
	}
	p.Reply(data)
	h.s.counters(p.Loop()).Frames.Add(1)
}
