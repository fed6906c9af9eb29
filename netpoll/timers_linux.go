//go:build linux

package netpoll

// timerHeap is a loop's min-heap of connections ordered by deadline. A
// connection is in it only while it has a deadline (an idle or write
// timeout, or a close in progress) and holds its own index in Conn.hidx.
// The key lives in the entry rather than in the Conn: most connections of
// a large idle server have no deadline, and 8 bytes less keeps Conn in the
// 80-byte allocation size class.
//
// Keys are lazy: a read only stamps Conn.lastActive and never touches the
// heap. When a connection's key comes due the loop recomputes its true
// deadline and either acts on it or pushes the key back, so the heap costs
// O(log n) once per timeout period per connection, not once per read.
type timerHeap []timer

// timer is one heap entry: c is due at at.
type timer struct {
	at int64
	c  *Conn
}

// set gives c the deadline at, adding c to the heap if needed.
func (h *timerHeap) set(c *Conn, at int64) {
	if c.hidx < 0 {
		c.hidx = int32(len(*h))
		*h = append(*h, timer{at: at, c: c})
		h.up(int(c.hidx))
		return
	}
	e := &(*h)[c.hidx]
	old := e.at
	e.at = at
	if at < old {
		h.up(int(c.hidx))
	} else {
		h.down(int(c.hidx))
	}
}

// remove takes c out of the heap, if it is in it.
func (h *timerHeap) remove(c *Conn) {
	i := int(c.hidx)
	if i < 0 {
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = timer{}
	*h = (*h)[:last]
	c.hidx = -1
	if i != last {
		h.down(i)
		h.up(i)
	}
}

// first returns the connection with the earliest deadline and that
// deadline, or nil.
func (h timerHeap) first() (*Conn, int64) {
	if len(h) == 0 {
		return nil, 0
	}
	return h[0].c, h[0].at
}

// deadline returns c's key; c must be in the heap.
func (h timerHeap) deadline(c *Conn) int64 { return h[c.hidx].at }

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].c.hidx = int32(i)
	h[j].c.hidx = int32(j)
}

func (h timerHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].at <= h[i].at {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

func (h timerHeap) down(i int) {
	for {
		least := i
		if l := 2*i + 1; l < len(h) && h[l].at < h[least].at {
			least = l
		}
		if r := 2*i + 2; r < len(h) && h[r].at < h[least].at {
			least = r
		}
		if least == i {
			return
		}
		h.swap(i, least)
		i = least
	}
}
