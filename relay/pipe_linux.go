//go:build linux

package relay

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// pipe is the two ends of a pipe(2) that carries one direction's bytes
// from socket to socket.
type pipe struct {
	r, w   int
	cap    int  // bytes it holds (F_GETPIPE_SZ)
	grown  bool // grown to the loop's growSize, counted in the growBudget
	noGrow bool // F_SETPIPE_SZ refused to grow it once; not asked again
}

// maxFreePipes bounds the empty pipes a loop keeps for reuse: enough for
// every direction of a few hundred busy pairs, each costing two
// descriptors and, once used, the pipe's pages.
const maxFreePipes = 256

// maxFreeGrown bounds the empty grown pipes a loop keeps for reuse, for
// both directions of one bulk pair: a bulk direction gives its pipe back
// whenever it has drained it, and taking a grown one from the pool saves
// shrinking it on the way back and growing it again on the next read,
// two F_SETPIPE_SZ calls and a new ring each. Pooled grown pipes stay
// counted in the growBudget; one given back to a full pool is shrunk to
// the default and its pages returned to the budget.
const maxFreeGrown = 2

// copyBuffer is the size of the loop's read buffer for the copy path and
// of the buffer a direction borrows for what its destination did not
// take.
const copyBuffer = 64 << 10

// Growing bulk directions' pipes (Config.PipeGrowMax).
const (
	// growTarget is what a bulk direction's pipe grows to: 1 MiB, the
	// kernel's default fs.pipe-max-size and what Go's io.Copy splices
	// through, which takes a 1 MiB message in one splice pair where the
	// default 64 KiB pipe takes sixteen.
	growTarget = 1 << 20
	// defaultSoftPages stands for fs.pipe-user-pages-soft where the
	// file cannot be read or is 0 (no soft limit): the kernel's default,
	// PIPE_DEF_BUFFERS * INR_OPEN_CUR = 16 * 1024 pages (fs/pipe.c), so
	// the default budget still bounds what grown pipes hold, a quarter
	// of that: 16 MiB with 4 KiB pages.
	defaultSoftPages = 16 * 1024
)

// growBudget is the relay-wide count of pages held by grown pipes, lent
// or pooled, shared by the loops.
type growBudget struct {
	max  int64 // pages grown pipes may hold together
	used atomic.Int64
	peak atomic.Int64 // the most used has been, for tests
}

// take reserves pages, or reports false if that would pass max.
func (b *growBudget) take(pages int64) bool {
	for {
		used := b.used.Load()
		if used+pages > b.max {
			return false
		}
		if b.used.CompareAndSwap(used, used+pages) {
			for peak := b.peak.Load(); used+pages > peak && !b.peak.CompareAndSwap(peak, used+pages); peak = b.peak.Load() {
			}
			return true
		}
	}
}

// give returns pages reserved by take.
func (b *growBudget) give(pages int64) { b.used.Add(-pages) }

// loopState is what the relay keeps per netpoll loop; only that loop's
// goroutine touches it, except the atomic counters and the shared
// growBudget.
type loopState struct {
	buf      []byte      // the copy path's read buffer, shared by the loop's pairs
	pipes    []pipe      // empty pipes of the default size ready to lend
	grown    []pipe      // empty grown pipes ready to lend, at most maxFreeGrown
	bufs     [][]byte    // copyBuffer-sized buffers ready to lend
	pipeSize int         // F_SETPIPE_SZ request, 0 for the kernel's default
	pipeCap  int         // what one splice into an empty default pipe may move
	growSize int         // what a bulk direction's pipe grows to, 0 for never
	budget   *growBudget // pages grown pipes may hold, relay-wide
	stats    counters
}

// getPipe lends an empty pipe, making one if none is free. A bulk
// direction (big) is lent a grown pipe where one is pooled or the budget
// allows growing one, else one of the default size.
func (ls *loopState) getPipe(big bool) (pipe, error) {
	big = big && ls.growSize > 0
	if n := len(ls.grown); big && n > 0 {
		p := ls.grown[n-1]
		ls.grown = ls.grown[:n-1]
		return p, nil
	}
	var p pipe
	if n := len(ls.pipes); n > 0 {
		p = ls.pipes[n-1]
		ls.pipes = ls.pipes[:n-1]
	} else {
		var err error
		if p, err = newPipe(ls.pipeSize); err != nil {
			return pipe{}, err
		}
		ls.stats.pipes.Add(1)
	}
	if big {
		ls.grow(&p)
	}
	return p, nil
}

// grow asks F_SETPIPE_SZ to grow the empty pipe p to growSize, if the
// budget has the pages. A refusal leaves p as it was, still fit to
// splice through, and marks it so that it is not asked again: the
// kernel refuses an unprivileged process a size over fs.pipe-max-size
// or past the user's pipe quota (EPERM), and neither changes between
// one read and the next.
func (ls *loopState) grow(p *pipe) {
	if p.noGrow || p.grown || p.cap >= ls.growSize {
		return
	}
	pages := int64(ls.growSize / os.Getpagesize())
	if !ls.budget.take(pages) {
		ls.stats.growOverBudget.Add(1)
		return
	}
	capacity, err := unix.FcntlInt(uintptr(p.w), unix.F_SETPIPE_SZ, ls.growSize)
	if err != nil {
		ls.budget.give(pages)
		p.noGrow = true
		ls.stats.growRefused.Add(1)
		return
	}
	// The kernel rounds the size up to a power of two pages: growSize
	// is one already (Start), so capacity is growSize.
	p.cap, p.grown = capacity, true
	ls.stats.grown.Add(1)
	ls.stats.grows.Add(1)
}

// putPipe takes back an empty pipe.
func (ls *loopState) putPipe(p pipe) {
	if p.grown {
		if len(ls.grown) < maxFreeGrown {
			ls.grown = append(ls.grown, p)
			return
		}
		// Shrinking an empty pipe cannot fail for want of room (the
		// kernel refuses, EBUSY, only to shrink below the bytes held);
		// should it fail anyway, the pipe is closed, which returns its
		// pages to the user's quota all the same.
		capacity, err := unix.FcntlInt(uintptr(p.w), unix.F_SETPIPE_SZ, ls.pipeCap)
		if err != nil {
			ls.closePipe(p)
			return
		}
		ls.ungrow(&p)
		p.cap = capacity
	}
	if len(ls.pipes) < maxFreePipes {
		ls.pipes = append(ls.pipes, p)
		return
	}
	ls.closePipe(p)
}

// ungrow returns a grown pipe's pages to the budget, once it has been
// shrunk or is being closed.
func (ls *loopState) ungrow(p *pipe) {
	if !p.grown {
		return
	}
	p.grown = false
	ls.budget.give(int64(ls.growSize / os.Getpagesize()))
	ls.stats.grown.Add(-1)
}

// closePipe closes a pipe, for one that still holds bytes or is not
// wanted back.
func (ls *loopState) closePipe(p pipe) {
	ls.ungrow(&p)
	_ = unix.Close(p.r)
	_ = unix.Close(p.w)
	ls.stats.pipes.Add(-1)
}

// getBuf lends a copyBuffer-sized buffer.
func (ls *loopState) getBuf() []byte {
	if n := len(ls.bufs); n > 0 {
		b := ls.bufs[n-1]
		ls.bufs = ls.bufs[:n-1]
		return b
	}
	return make([]byte, copyBuffer)
}

// putBuf takes a buffer back; a loop keeps as many as it has lent at
// most maxFreePipes of at once.
func (ls *loopState) putBuf(b []byte) {
	if len(ls.bufs) < maxFreePipes {
		ls.bufs = append(ls.bufs, b)
	}
}

// release closes the pooled pipes, once the loop has stopped.
func (ls *loopState) release() {
	for _, p := range ls.pipes {
		ls.closePipe(p)
	}
	for _, p := range ls.grown {
		ls.closePipe(p)
	}
	ls.pipes, ls.grown = nil, nil
}

// newPipe makes a non-blocking pipe, sized with F_SETPIPE_SZ when size is
// positive, with its capacity (F_GETPIPE_SZ).
func newPipe(size int) (pipe, error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return pipe{}, err
	}
	p := pipe{r: fds[0], w: fds[1]}
	if size > 0 {
		if _, err := unix.FcntlInt(uintptr(p.w), unix.F_SETPIPE_SZ, size); err != nil {
			_ = unix.Close(p.r)
			_ = unix.Close(p.w)
			return pipe{}, err
		}
	}
	capacity, err := unix.FcntlInt(uintptr(p.w), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		_ = unix.Close(p.r)
		_ = unix.Close(p.w)
		return pipe{}, err
	}
	p.cap = capacity
	return p, nil
}

// spliceWorks reports whether this kernel splices a socket into a pipe,
// and the capacity of a pipe of size (0 for the default): one byte
// through a socketpair checks it once at start.
func spliceWorks(size int) (bool, int, error) {
	p, err := newPipe(size)
	if err != nil {
		return false, 0, err
	}
	defer func() { _ = unix.Close(p.r); _ = unix.Close(p.w) }()
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false, 0, err
	}
	defer func() { _ = unix.Close(sp[0]); _ = unix.Close(sp[1]) }()
	if _, err := unix.Write(sp[0], []byte{1}); err != nil {
		return false, 0, err
	}
	n, err := spliceFD(sp[1], p.w, 1)
	return err == nil && n == 1, p.cap, nil
}

// readSysctl reads a whole number from a file under /proc/sys, or
// reports false.
func readSysctl(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil && n >= 0
}
