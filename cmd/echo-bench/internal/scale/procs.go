package scale

import (
	"fmt"
	"time"
)

// How the scale phase splits its connections over processes.
const (
	// spareFDs is what each process needs besides its connections:
	// epoll, eventfds, listeners, pipes, /proc files.
	spareFDs = 256
	// headroom is the room each server process keeps over its even
	// share. SO_REUSEPORT picks a listener by a hash of each
	// connection's addresses and ports (socket(7)), so the shares come
	// out only roughly equal.
	headroom = 1.15
	// maxProcs bounds the processes per side: client process i
	// takes source blocks 127.0.2i+1.x and 127.0.2i+2.x.
	maxProcs = 127
)

// procCapacity is how many connections one server process may be given
// under an open file limit, leaving room for uneven hashing.
func procCapacity(limit uint64) int {
	if limit <= spareFDs {
		return 0
	}
	return int(float64(limit-spareFDs) / headroom)
}

// autoProcs is the fewest processes per side that hold conns under an
// open file limit per process: one when everything fits in one process,
// else enough that each server's share, with headroom, fits.
func autoProcs(conns int, limit uint64) int {
	if uint64(conns)+spareFDs <= limit {
		return 1
	}
	c := procCapacity(limit)
	if c == 0 {
		return 1 // nothing fits; checkProcs says so
	}
	return (conns + c - 1) / c
}

// checkProcs says why conns connections cannot be split over procs
// processes per side under limit, or returns nil when they can.
func checkProcs(conns, procs int, limit uint64) error {
	switch {
	case procs == 1 && uint64(conns)+spareFDs > limit:
		return fmt.Errorf("scale: open file limit is %d and cannot be raised (setrlimit needs CAP_SYS_RESOURCE), so one process holds at most %d connections: lower --conns or split them over processes (--procs 0 picks how many)",
			limit, max(int(limit)-spareFDs, 0))
	case procs == 1:
		return nil
	case procs > maxProcs:
		return fmt.Errorf("scale: %d processes per side, at most %d", procs, maxProcs)
	case procs > conns:
		return fmt.Errorf("scale: %d processes for %d connections: want at least one connection each", procs, conns)
	}
	c := procCapacity(limit)
	if share := (conns + procs - 1) / procs; share > c {
		need := max(autoProcs(conns, limit), procs+1)
		return fmt.Errorf("scale: %d connections over %d processes is %d each, more than the %d that fit under the open file limit of %d with %.0f%% room for SO_REUSEPORT's uneven spread: use --procs %d or more",
			conns, procs, share, c, limit, 100*(headroom-1), need)
	}
	return nil
}

// split divides n into parts shares that differ by at most one, the
// larger ones first.
func split(n, parts int) []int {
	out := make([]int, parts)
	for i := range out {
		out[i] = n / parts
		if i < n%parts {
			out[i]++
		}
	}
	return out
}

// shares divides the phase among procs client processes: each gets an
// even part of the idle and the active connections, of the rate and of
// the connect rate, and two blocks of source addresses of its own; all
// connect to the servers' shared addr.
func shares(cfg *Config, procs int, addr string) []share {
	idle := split(cfg.Conns-cfg.Active, procs)
	active := split(cfg.Active, procs)
	out := make([]share, procs)
	for i := range out {
		s := share{
			Addr: addr, Idle: idle[i], Active: active[i], Size: cfg.Size,
			Duration: cfg.Duration, Warmup: cfg.Warmup, Workers: max(len(cfg.ClientCPUs), 1),
			ConnectRate: cfg.ConnectRate / float64(procs),
			IdleBlock:   byte(2*i + 1), ActiveBlock: byte(2*i + 2),
			IdleTimeout: idleTimeout,
		}
		if cfg.Active > 0 {
			s.Rate = cfg.Rate * float64(active[i]) / float64(cfg.Active)
		}
		out[i] = s
	}
	return out
}

// idleTimeout bounds the wait for the idle connections' one echo.
const idleTimeout = 30 * time.Second
