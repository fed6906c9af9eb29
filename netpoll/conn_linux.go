//go:build linux

package netpoll

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// connState is where a connection is in its life. Only its loop reads or
// writes it.
type connState uint8

const (
	// stateOpen: reading and writing.
	stateOpen connState = iota
	// stateDraining: closed by the handler or by the peer's FIN; no more
	// OnData, pending output is being flushed.
	stateDraining
	// stateLinger: output flushed and the write side shut down; input is
	// read and discarded until the peer closes, so that closing with
	// unread input does not turn the FIN into an RST that could destroy
	// the reply in flight (RFC 1122, 4.2.2.13).
	stateLinger
	// stateConnecting: an outgoing connection (Loop.Connect) whose
	// connect(2) is in progress; OnOpen has not run yet.
	stateConnecting
	// stateDead: failed or timed out; waiting for the loop to release it.
	stateDead
	// stateClosed: released; OnClose has run.
	stateClosed
)

// Conn flags.
const (
	flagPaused    uint8 = 1 << iota // reading stopped by backpressure
	flagEOF                         // the peer sent its FIN
	flagAbort                       // close with an RST (SO_LINGER 0)
	flagQueued                      // in the loop's settle list
	flagHeld                        // reading stopped by the handler (PauseReading)
	flagRaw                         // the handler moves the bytes (SetRaw)
	flagWantWrite                   // a raw connection waits for writability
	flagWrShut                      // the write side is shut, or will be once flushed

	// flagNoRead is set while anything stops reading the connection.
	flagNoRead = flagPaused | flagHeld
)

// Conn is one TCP connection served by a Loop. An idle Conn holds no
// buffer: its loop lends it one only while it has input its handler left
// unconsumed or output the socket did not take.
//
// Its Loop method may be called from any goroutine; every other method
// only on the owning loop's goroutine: inside Handler callbacks or
// functions passed to Loop.Submit.
//
// A Conn stays valid after OnClose: the loop never reuses it for another
// connection, so a goroutine that still holds one may keep submitting
// work for it. From OnClose on, Write, Close and CloseWithError return
// ErrClosed, PauseReading and ResumeReading do nothing, OutboundBuffered
// returns 0 and Fd returns -1, while Context, RemoteAddr and Loop keep
// returning what they did. (Write, Close and CloseWithError already
// return ErrClosed from the moment c starts closing.)
type Conn struct {
	// A server holds one Conn per connection, so it is kept small: 80
	// bytes on 64-bit systems (TestConnSize), with everything a busy
	// connection needs moved out to busy.
	loop *Loop
	b    *busy // lent by the loop while needed, nil while idle
	ctx  any
	// lastActive is the loop time of the last read or write progress
	// while open, and the time the close began once closing.
	lastActive int64
	fd         int32
	gen        uint32     // tells this connection's events from a reused fd's
	hidx       int32      // index in the loop's timer heap, -1 if absent
	events     eventFlags // interest registered with epoll
	addr       [16]byte
	port       uint16
	state      connState
	flags      uint8
	inFlight   bool // the handler holds bytes in flight through c (SetInFlight)
	// window is the io_uring backend's batch window in which c last
	// had input (ringLoop.window); it fits in what was padding.
	window uint16
}

// busy holds what a connection needs only while it is not idle: the input
// its handler left unconsumed, the output its socket has not taken, and
// why it is closing. The loop lends one to a connection when it needs it
// and takes it back as soon as all three are empty again.
type busy struct {
	in  []byte // from the loop's pool; nil when empty
	out outQueue
	err error
	// held: out holds output Write held back to be sent later in the
	// round (Config.DeferWrites), and the connection is on Loop.held.
	held bool
}

// pending reports whether c has output waiting for the socket.
func (c *Conn) pending() bool { return c.b != nil && c.b.out.n > 0 }

// closeErr returns why c is closing, or nil.
func (c *Conn) closeErr() error {
	if c.b == nil {
		return nil
	}
	return c.b.err
}

// Write sends b, or queues what the socket did not take at once; b may be
// reused as soon as Write returns. It returns len(b) and nil, ErrClosed
// if c is closing or closed, or the error of a failed send, in which case
// c is closing and OnClose will report that error too. Once queued output passes
// Config.WriteLimit the loop stops reading from c until the queue drains
// below half; Write itself never refuses data, so a handler that produces
// output without reading input should watch OutboundBuffered.
func (c *Conn) Write(b []byte) (int, error) {
	if c.state != stateOpen || c.flags&flagWrShut != 0 {
		return 0, ErrClosed
	}
	total := len(b)
	if total == 0 {
		return 0, nil
	}
	l := c.loop
	// With DeferWrites a small write joins the output held back for
	// later in the round, and a large one sends what is held first
	// (deferMax, hold and unhold in write_linux.go).
	if l.cfg.DeferWrites && l.ring == nil {
		held := c.b != nil && c.b.held
		if total <= deferMax && (held || !c.pending()) {
			l.hold(c, b)
			return total, nil
		}
		if held && !l.unhold(c) {
			return 0, c.closeErr()
		}
	}
	// On the io_uring backend the loop sends, with one submission per
	// round for every connection with output.
	if !c.pending() && l.ring == nil {
		n, err := sendFD(int(c.fd), b)
		if err != nil {
			if err != unix.EAGAIN {
				l.fail(c, "send", err)
				return 0, c.closeErr()
			}
			n = 0
		}
		if n > 0 {
			l.stats.bytesOut.Add(uint64(n))
			c.lastActive = l.now
		}
		if n == total {
			return n, nil
		}
		b = b[n:]
	}
	l.queue(c, b)
	return total, nil
}

// Close closes c gracefully: OnData is not called again, pending output
// is flushed, then the write side is shut down and c is closed once the
// peer closes too, all within Config.CloseTimeout. OnClose receives nil.
// It returns ErrClosed if c was already closing.
func (c *Conn) Close() error {
	return c.CloseWithError(nil)
}

// CloseWithError is Close, with err passed on to OnClose.
func (c *Conn) CloseWithError(err error) error {
	if c.state == stateConnecting {
		c.loop.setErr(c, err)
		c.loop.kill(c)
		return nil
	}
	if c.state != stateOpen {
		return ErrClosed
	}
	c.loop.setErr(c, err)
	c.loop.startClose(c)
	return nil
}

// Context returns the value last given to SetContext, or nil.
func (c *Conn) Context() any { return c.ctx }

// SetContext attaches v to c, typically in OnOpen, for the handler's own
// per-connection state.
func (c *Conn) SetContext(v any) { c.ctx = v }

// RemoteAddr returns the peer's address, as accept(2) reported it.
func (c *Conn) RemoteAddr() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(c.addr).Unmap(), c.port)
}

// OutboundBuffered returns the bytes written to c that the socket has not
// taken yet.
func (c *Conn) OutboundBuffered() int {
	if c.b == nil {
		return 0
	}
	return c.b.out.n
}

// Fd returns c's socket descriptor, for setting socket options in OnOpen,
// or -1 once the socket is closed (from OnClose on), so that a stale
// number, which may already name another descriptor, is never handed
// out. The loop owns the descriptor: reading, writing or closing it
// directly breaks the loop's bookkeeping.
func (c *Conn) Fd() int { return int(c.fd) }

// Loop returns the loop that owns c. It may be called from any goroutine,
// also after OnClose, for example to hand work to c's loop with Submit.
func (c *Conn) Loop() *Loop { return c.loop }

// lend gives c a busy struct if it has none.
func (l *Loop) lend(c *Conn) *busy {
	if c.b == nil {
		if k := len(l.busyFree); k > 0 {
			c.b = l.busyFree[k-1]
			l.busyFree[k-1] = nil
			l.busyFree = l.busyFree[:k-1]
		} else {
			c.b = new(busy)
		}
	}
	return c.b
}

// maxBusyFree bounds the busy structs a loop keeps for reuse.
const maxBusyFree = 4096

// reclaim takes c's busy struct back once it holds nothing.
func (l *Loop) reclaim(c *Conn) {
	if b := c.b; b != nil && b.in == nil && b.out.n == 0 && b.err == nil {
		l.putBusy(b)
		c.b = nil
	}
}

func (l *Loop) putBusy(b *busy) {
	b.held = false
	if len(l.busyFree) < maxBusyFree {
		l.busyFree = append(l.busyFree, b)
	}
}

// setErr records why c is closing; a nil err records nothing.
func (l *Loop) setErr(c *Conn, err error) {
	if err != nil || c.b != nil {
		l.lend(c).err = err
	}
}

// releaseBusy returns everything c borrowed, at close.
func (l *Loop) releaseBusy(c *Conn) {
	if b := c.b; b != nil {
		l.dropIn(c)
		l.stats.queued.Add(-int64(b.out.n))
		b.out.reset(&l.pool)
		b.err = nil
		l.putBusy(b)
		c.b = nil
	}
}
