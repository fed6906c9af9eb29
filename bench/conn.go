package bench

// Slot states for UDP; TCP slots are outstanding until their echo is
// complete, in order.
const (
	slotEmpty uint8 = iota
	slotOutstanding
	slotDone
	slotLost
)

// slot records one message sent and not yet retired.
type slot struct {
	// at is when the message was sent (closed loop) or due (open loop),
	// in nanoseconds on the run's clock.
	at int64
	// seq identifies the message, so a UDP echo that arrives after its
	// slot was reused is not mistaken for the newer message.
	seq  uint64
	size int32
	// state is one of the slot constants (UDP only).
	state uint8
}

// ring holds the messages of one connection from the oldest not retired
// (head) to the next to be sent (tail), indexed by sequence number.
type ring struct {
	slots      []slot
	head, tail uint64
}

// get returns the slot of sequence number seq, which must lie in
// [head, tail).
func (r *ring) get(seq uint64) *slot { return &r.slots[seq&uint64(len(r.slots)-1)] }

// push appends the next message, growing the ring when it is full.
func (r *ring) push(at int64, size int) {
	if r.tail-r.head == uint64(len(r.slots)) {
		r.grow()
	}
	r.slots[r.tail&uint64(len(r.slots)-1)] = slot{at: at, seq: r.tail, size: int32(size), state: slotOutstanding}
	r.tail++
}

// grow doubles the ring, keeping sequence numbers where get finds them.
func (r *ring) grow() {
	n := max(2*len(r.slots), 4)
	slots := make([]slot, n)
	for s := r.head; s < r.tail; s++ {
		slots[s&uint64(n-1)] = *r.get(s)
	}
	r.slots = slots
}

// pending is the number of messages not yet retired.
func (r *ring) pending() int { return int(r.tail - r.head) }

// conn is one connection or UDP socket and everything the worker knows
// about it. Only its worker touches it.
type conn struct {
	fd int
	// id is the connection id every message carries.
	id uint32
	// index is the position in the worker's conns, stored in epoll data.
	index int32
	// open is true once connected.
	open bool
	// ring holds messages in flight.
	ring ring
	// inflight counts messages sent and not yet echoed or, for UDP,
	// given up on; closed loop keeps it at most Depth.
	inflight int
	// rpos is how many bytes of the oldest TCP message have arrived.
	rpos int
	// out holds bytes a short write left unsent (TCP). While it is not
	// empty the connection waits for EPOLLOUT and sends nothing new.
	out []byte
	// blocked is set while a UDP socket waits for EPOLLOUT after EAGAIN.
	blocked bool
	// sent counts messages sent, for Count mode.
	sent int
	// owed counts open-loop messages that are due and not yet sent.
	owed int
	// ready is true while the connection sits on the worker's send list.
	ready bool
	// maxSeen is the highest UDP sequence number echoed plus one.
	maxSeen uint64
	// transit is the previous UDP round trip, for jitter.
	transit int64
	// jitter is the RFC 3550 jitter estimate in nanoseconds.
	jitter float64
}
