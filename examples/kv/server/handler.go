package server

import (
	"errors"

	"github.com/rawnet/rawnet/examples/kv/resp"
	"github.com/rawnet/rawnet/examples/kv/store"
	"github.com/rawnet/rawnet/netpoll"
)

// flushAt is the size at which replies still being gathered are written
// out: one large reply, or a pipeline of many, then travels in pieces
// that a send takes at once, and the output limit is checked after each.
const flushAt = 64 << 10

// errQuit closes a connection after QUIT's reply; it never reaches
// OnClose, because QUIT closes without an error.
var errQuit = errors.New("server: quit")

// handler serves RESP on netpoll: netpoll.Handler's callbacks.
type handler struct {
	store     *store.Store
	codec     resp.Codec
	maxOutput int
	loops     []scratch
}

// scratch is what one loop reuses for every command it runs: the
// argument slice the codec fills and the buffer replies are gathered in.
// Only its loop touches it, so it needs no lock; counts are atomics
// because Stats reads them from other goroutines.
type scratch struct {
	args   [][]byte
	out    []byte
	counts counts
	// The padding keeps loops' scratch areas off each other's cache
	// lines.
	_ [64]byte
}

// sink is what serve writes replies to: a *netpoll.Conn, or a stand-in
// in benchmarks of the command path.
type sink interface {
	Write(b []byte) (int, error)
	OutboundBuffered() int
}

// newHandler returns a handler for loops loops.
func newHandler(st *store.Store, codec resp.Codec, loops, maxOutput int) *handler {
	h := &handler{store: st, codec: codec, maxOutput: maxOutput, loops: make([]scratch, loops)}
	for i := range h.loops {
		h.loops[i].args = make([][]byte, 0, 8)
		h.loops[i].out = make([]byte, 0, flushAt)
	}
	return h
}

// OnOpen keeps no per-connection state: everything a command needs lives
// in its loop's scratch area or the store.
func (h *handler) OnOpen(c *netpoll.Conn) {}

// OnData runs the complete commands in data and leaves netpoll the
// incomplete rest. QUIT, a protocol error or too much unsent output
// closes the connection once its replies are flushed.
func (h *handler) OnData(c *netpoll.Conn, data []byte) int {
	s := &h.loops[c.Loop().Index()]
	used, err := h.serve(s, c, data)
	switch {
	case err == errQuit:
		_ = c.Close()
	case err != nil:
		_ = c.CloseWithError(err)
	}
	return used
}

// OnClose has nothing to release.
func (h *handler) OnClose(c *netpoll.Conn, err error) {}

// serve runs every complete command at the start of data, gathering
// replies in s.out and writing them to w, and returns the bytes it
// consumed. A non-nil error means the connection must close once its
// replies are out: errQuit, a *resp.Error or ErrOutputLimit; serve has
// then consumed all of data.
func (h *handler) serve(s *scratch, w sink, data []byte) (used int, err error) {
	commands := uint64(0)
	for used < len(data) {
		n, args, perr := h.codec.Parse(data[used:], s.args)
		s.args = args
		if perr != nil {
			s.counts.protocolErrors.Add(1)
			s.out = appendProtocolError(s.out, perr)
			err = perr
			break
		}
		if n == 0 {
			break
		}
		used += n
		if len(args) == 0 {
			continue // an empty command, which Redis skips
		}
		commands++
		if err = h.exec(s, w, args); err != nil {
			break
		}
		if len(s.out) >= flushAt {
			if err = h.flush(s, w); err != nil {
				break
			}
		}
	}
	s.counts.commands.Add(commands)
	if err != nil {
		h.write(s, w)
		return len(data), err
	}
	return used, h.flush(s, w)
}

// write sends the gathered replies and empties s.out.
func (h *handler) write(s *scratch, w sink) {
	if len(s.out) == 0 {
		return
	}
	// Write copies what the socket does not take, so the buffer is free
	// again as soon as it returns. A failed write closes the connection
	// inside netpoll, which reports it to OnClose.
	_, _ = w.Write(s.out)
	// A buffer grown by one huge reply is let go rather than kept for
	// the loop's life.
	if cap(s.out) > 16*flushAt {
		s.out = make([]byte, 0, flushAt)
	}
	s.out = s.out[:0]
}

// flush writes the gathered replies and checks the output limit.
func (h *handler) flush(s *scratch, w sink) error {
	h.write(s, w)
	if w.OutboundBuffered() > h.maxOutput {
		s.counts.outputLimits.Add(1)
		return ErrOutputLimit
	}
	return nil
}

// appendProtocolError appends Redis's reply to a malformed command.
func appendProtocolError(dst []byte, err error) []byte {
	var re *resp.Error
	if errors.As(err, &re) {
		return resp.AppendError(dst, "ERR Protocol error: "+re.Reason)
	}
	return resp.AppendError(dst, "ERR Protocol error")
}
