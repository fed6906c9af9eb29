package netpoll

// Output chunks are borrowed from the loop's pool in sizes between these
// two bounds.
const (
	minChunk = 4 << 10
	maxChunk = 64 << 10
)

// outQueue holds the output a socket did not take at once, in chunks
// borrowed from the loop's pool only while output is pending.
type outQueue struct {
	// bufs[head:] are pooled chunks; bufs[head][off:] is the next byte to
	// send.
	bufs  [][]byte
	head  int
	off   int
	n     int   // bytes pending
	since int64 // loop time the output last made progress
}

// append copies b to the end of the queue, filling the last chunk first.
func (q *outQueue) append(p *bufPool, b []byte) {
	q.n += len(b)
	if k := len(q.bufs); k > q.head {
		last := q.bufs[k-1]
		m := copy(last[len(last):cap(last)], b)
		q.bufs[k-1] = last[:len(last)+m]
		b = b[m:]
	}
	for len(b) > 0 {
		// A queue's first chunk fits what it holds: on the io_uring
		// backend every reply waits here for its send, and a 64-byte
		// reply in a 4 KiB chunk would leave the loop's pool holding
		// 4 KiB for each send a burst had in flight. Output that keeps
		// coming gets minChunk at least.
		least := minChunk
		if len(q.bufs) == q.head {
			least = 0
		}
		chunk := p.get(min(max(len(b), least), maxChunk))
		m := copy(chunk[:cap(chunk)], b)
		q.bufs = append(q.bufs, chunk[:m])
		b = b[m:]
	}
}

// pieces returns the pending chunks; the first starts at q.off.
func (q *outQueue) pieces() [][]byte { return q.bufs[q.head:] }

// consume drops n sent bytes from the front, returning emptied chunks to
// p.
func (q *outQueue) consume(p *bufPool, n int) {
	q.n -= n
	for n > 0 {
		rest := len(q.bufs[q.head]) - q.off
		if n < rest {
			q.off += n
			return
		}
		n -= rest
		p.put(q.bufs[q.head])
		q.bufs[q.head] = nil
		q.head++
		q.off = 0
	}
	if q.head == len(q.bufs) {
		q.bufs, q.head = q.bufs[:0], 0
	}
}

// reset returns every chunk to p and empties the queue.
func (q *outQueue) reset(p *bufPool) {
	for i := q.head; i < len(q.bufs); i++ {
		p.put(q.bufs[i])
		q.bufs[i] = nil
	}
	q.bufs, q.head, q.off, q.n, q.since = q.bufs[:0], 0, 0, 0, 0
}
