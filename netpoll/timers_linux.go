//go:build linux

package netpoll

// timerHeap is a loop's min-heap of connections ordered by Conn.deadline.
// A connection is in it only while it has a deadline (an idle or write
// timeout, or a close in progress) and holds its own index in Conn.hidx.
//
// Keys are lazy: a read only stamps Conn.lastActive and never touches the
// heap. When a connection's key comes due the loop recomputes its true
// deadline and either acts on it or pushes the key back, so the heap costs
// O(log n) once per timeout period per connection, not once per read.
type timerHeap []*Conn

// set gives c the deadline at, adding c to the heap if needed.
func (h *timerHeap) set(c *Conn, at int64) {
	if c.hidx < 0 {
		c.hidx = int32(len(*h))
		*h = append(*h, c)
		c.deadline = at
		h.up(int(c.hidx))
		return
	}
	old := c.deadline
	c.deadline = at
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
	(*h)[last] = nil
	*h = (*h)[:last]
	c.hidx = -1
	if i != last {
		h.down(i)
		h.up(i)
	}
}

// first returns the connection with the earliest deadline, or nil.
func (h timerHeap) first() *Conn {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx = int32(i)
	h[j].hidx = int32(j)
}

func (h timerHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].deadline <= h[i].deadline {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

func (h timerHeap) down(i int) {
	for {
		least := i
		if l := 2*i + 1; l < len(h) && h[l].deadline < h[least].deadline {
			least = l
		}
		if r := 2*i + 2; r < len(h) && h[r].deadline < h[least].deadline {
			least = r
		}
		if least == i {
			return
		}
		h.swap(i, least)
		i = least
	}
}
