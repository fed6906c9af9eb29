package relay

import (
	"net/netip"
	"sync/atomic"
)

// upstream is one address pairs connect to, with its open pairs counted
// for LeastConn.
type upstream struct {
	name   string
	addr   netip.AddrPort
	active atomic.Int64
}

// picker chooses the upstream of each new pair; it is safe for
// concurrent use by every loop.
type picker struct {
	ups     []*upstream
	balance Balance
	next    atomic.Uint64
}

// pick returns the upstream for a new pair and counts the pair on it.
func (p *picker) pick() *upstream {
	var u *upstream
	if p.balance == LeastConn {
		for _, c := range p.ups {
			if u == nil || c.active.Load() < u.active.Load() {
				u = c
			}
		}
	} else {
		u = p.ups[(p.next.Add(1)-1)%uint64(len(p.ups))]
	}
	u.active.Add(1)
	return u
}
