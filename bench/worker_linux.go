package bench

import (
	"fmt"
	"math"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/udpgso"
)

const (
	// maxWait bounds every blocking wait, so a worker notices an abort and
	// phase changes even when no traffic flows.
	maxWait = 50_000_000
	// readBatch bounds the UDP datagrams read per readiness event, so one
	// busy socket cannot starve the others, and those sent per call.
	readBatch = 32
	// writeBuf is the most a worker writes to one connection at once.
	writeBuf = 256 << 10
)

// counters are one worker's results.
type counters struct {
	messages, bytes uint64
	udp             UDPStats
	lastDone        int64
}

// live are the counters the progress reporter reads while a worker runs.
type live struct {
	messages  atomic.Uint64
	connected atomic.Int64
	_         [48]byte // keep workers' counters on separate cache lines
}

// worker drives its share of the connections from one locked OS thread.
type worker struct {
	cfg    *Config
	lay    layout
	ctl    *control
	conns  []conn
	epfd   int
	events []unix.EpollEvent
	rbuf   []byte
	wbuf   []byte
	// udp batches datagrams through recvmmsg and sendmmsg; sizes holds
	// the sizes of one send batch. Both are nil for TCP.
	udp   *udpBatch
	sizes []int
	pick  *picker
	// tid is the OS thread the worker is locked to.
	tid int
	// k is the worker's index; hist holds the current interval's
	// latencies, which end at cutAt (math.MaxInt64 without intervals),
	// and iv takes each interval as it ends.
	k     int
	hist  *hdrhistogram.Histogram
	cutAt int64
	iv    *intervals
	st    counters
	live  *live
	// inflight sums the conns' inflight, so the drain can end early.
	inflight int
	// stopping is set once no new message may be sent.
	stopping bool
	// readyList holds open-loop conns with messages owed.
	readyList []int32
	// next is the open-loop schedule's next message index; dt is the
	// interval between the worker's messages in nanoseconds.
	next     int64
	dt       float64
	noPwait2 bool
	// nextExpire is when UDP slots are next checked for loss.
	nextExpire int64
}

// newWorker prepares a worker for conns with the given ids.
func newWorker(cfg *Config, lay layout, ctl *control, ids []uint32, lv *live, k int) (*worker, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	w := &worker{
		cfg:    cfg,
		lay:    lay,
		ctl:    ctl,
		conns:  make([]conn, len(ids)),
		epfd:   epfd,
		events: make([]unix.EpollEvent, min(len(ids), 256)),
		rbuf:   make([]byte, max(64<<10, maxMessage+1)),
		wbuf:   make([]byte, max(writeBuf, cfg.Sizes.Max())),
		pick:   newPicker(cfg.Sizes, uint64(k)+1),
		k:      k,
		hist:   newHist(),
		cutAt:  math.MaxInt64,
		live:   lv,
	}
	if cfg.Network == "udp" {
		w.udp = newUDPBatch(cfg.Sizes.Max(), udpgso.Supported())
		w.sizes = make([]int, readBatch)
	}
	for i, id := range ids {
		w.conns[i] = conn{fd: -1, id: id, index: int32(i)}
	}
	if cfg.Rate > 0 {
		perConn := cfg.Rate / float64(cfg.Conns)
		w.dt = 1e9 / perConn / float64(len(ids))
	}
	return w, nil
}

// close releases every fd the worker holds.
func (w *worker) close() {
	for i := range w.conns {
		if w.conns[i].fd >= 0 {
			unix.Close(w.conns[i].fd)
			w.conns[i].fd = -1
		}
	}
	unix.Close(w.epfd)
}

// loop sends and verifies until the measurement is over and every echo is
// in, or an error occurs.
func (w *worker) loop() error {
	udp := w.cfg.Network == "udp"
	if w.ctl.interval > 0 {
		w.cutAt = w.ctl.mStart + w.ctl.interval
	}
	if w.cfg.Rate > 0 {
		lowTimerSlack()
	} else {
		for i := range w.conns {
			if err := w.fill(&w.conns[i]); err != nil {
				return err
			}
		}
	}
	drainBy := int64(math.MaxInt64)
	for {
		if w.ctl.abort.Load() {
			return errAborted
		}
		now := w.ctl.clock.now()
		if now >= w.cutAt && now < w.ctl.mEnd {
			// An interval ended without an echo to end it here.
			w.cut(now)
		}
		if !w.stopping && (now >= w.ctl.mEnd || (w.cfg.Count > 0 && w.allSent())) {
			w.stopping = true
			drainBy = now + int64(w.cfg.Timeout)
			if udp {
				drainBy += int64(w.cfg.Timeout)
			}
		}
		if w.stopping && w.inflight == 0 {
			w.st.lastDone = now
			return nil
		}
		if udp && now >= w.nextExpire {
			if err := w.expireAll(now); err != nil {
				return err
			}
			w.nextExpire = now + int64(w.cfg.Timeout)/4
			continue
		}
		if w.stopping && now >= drainBy {
			if !udp {
				return w.lostError()
			}
			// Whatever is still out has had the loss timeout
			// and more: count it lost.
			if err := w.expireAll(math.MaxInt64); err != nil {
				return err
			}
			continue
		}
		if w.cfg.Rate > 0 && !w.stopping {
			if err := w.schedule(now); err != nil {
				return err
			}
		}
		wait := w.waitFor(now, drainBy)
		n, errno := w.wait(wait)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return os.NewSyscallError("epoll_pwait2", errno)
		}
		now = w.ctl.clock.now()
		for _, ev := range w.events[:n] {
			c := &w.conns[ev.Fd]
			if err := w.handle(c, ev.Events, now); err != nil {
				return err
			}
		}
		w.live.messages.Store(w.st.messages)
	}
}

// wait returns the events that arrive within ns nanoseconds.
func (w *worker) wait(ns int64) (int, syscall.Errno) {
	if !w.cfg.HoldCPU {
		n, errno := pollNow(w.epfd, w.events)
		if n > 0 || errno != 0 || ns == 0 {
			return n, errno
		}
	}
	return pollWait(w.epfd, w.events, ns, w.cfg.HoldCPU, &w.noPwait2)
}

// waitFor returns how long the next wait may block, in nanoseconds.
func (w *worker) waitFor(now, drainBy int64) int64 {
	until := now + maxWait
	if !w.stopping {
		until = min(until, w.ctl.mEnd)
		if w.cfg.Rate > 0 {
			until = min(until, w.due(w.next))
		}
	} else {
		until = min(until, drainBy)
	}
	if w.cfg.Network == "udp" {
		until = min(until, w.nextExpire)
	}
	return max(until-now, 0)
}

// due is when the worker's open-loop message with index j is to be sent.
func (w *worker) due(j int64) int64 { return w.ctl.start + int64(float64(j)*w.dt) }

// schedule credits every open-loop message that is due by now to its
// connection and sends what the connections owe.
func (w *worker) schedule(now int64) error {
	n := int64(len(w.conns))
	for w.due(w.next) <= now && w.due(w.next) < w.ctl.mEnd {
		c := &w.conns[w.next%n]
		c.owed++
		if !c.ready {
			c.ready = true
			w.readyList = append(w.readyList, c.index)
		}
		w.next++
	}
	list := w.readyList
	w.readyList = w.readyList[:0]
	for _, i := range list {
		c := &w.conns[i]
		c.ready = false
		if err := w.fill(c); err != nil {
			return err
		}
		if c.owed > 0 && !c.ready {
			c.ready = true
			w.readyList = append(w.readyList, c.index)
		}
	}
	return nil
}

// handle processes one epoll event.
func (w *worker) handle(c *conn, events uint32, now int64) error {
	if events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP) != 0 {
		var err error
		if w.cfg.Network == "udp" {
			err = w.readUDP(c, now)
		} else {
			err = w.readTCP(c, now)
		}
		if err != nil {
			return err
		}
	}
	if events&unix.EPOLLOUT != 0 {
		if err := w.flush(c); err != nil {
			return err
		}
	}
	return w.fill(c)
}

// allSent reports whether every connection sent its Count messages.
func (w *worker) allSent() bool {
	for i := range w.conns {
		if w.conns[i].sent < w.cfg.Count {
			return false
		}
	}
	return true
}

// setEvents changes what epoll reports for c: input, plus output while c
// has bytes waiting to be written.
func (w *worker) setEvents(c *conn, out bool) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: c.index}
	if out {
		ev.Events |= unix.EPOLLOUT
	}
	if err := unix.EpollCtl(w.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// lostError reports the TCP messages whose echo never came.
func (w *worker) lostError() error {
	for i := range w.conns {
		c := &w.conns[i]
		if c.inflight > 0 {
			return fmt.Errorf("%w: connection %d: %d messages unanswered %v after sending stopped, the first is seq %d",
				ErrLost, c.id, c.inflight, w.cfg.Timeout, c.ring.head)
		}
	}
	return fmt.Errorf("%w: %d messages unanswered", ErrLost, w.inflight)
}

// isAgain reports whether errno means "try again later".
func isAgain(errno syscall.Errno) bool { return errno == unix.EAGAIN || errno == unix.EWOULDBLOCK }
