//go:build linux

package relay

import (
	"golang.org/x/sys/unix"
)

// pipe is the two ends of a pipe(2) that carries one direction's bytes
// from socket to socket.
type pipe struct{ r, w int }

// maxFreePipes bounds the empty pipes a loop keeps for reuse: enough for
// every direction of a few hundred busy pairs, each costing two
// descriptors and, once used, the pipe's pages.
const maxFreePipes = 256

// copyBuffer is the size of the loop's read buffer for the copy path and
// of the buffer a direction borrows for what its destination did not
// take.
const copyBuffer = 64 << 10

// loopState is what the relay keeps per netpoll loop; only that loop's
// goroutine touches it, except the atomic counters.
type loopState struct {
	buf      []byte   // the copy path's read buffer, shared by the loop's pairs
	pipes    []pipe   // empty pipes ready to lend
	bufs     [][]byte // copyBuffer-sized buffers ready to lend
	pipeSize int      // F_SETPIPE_SZ request, 0 for the kernel's default
	pipeCap  int      // what one splice into an empty pipe may move
	stats    counters
}

// getPipe lends an empty pipe, making one if none is free.
func (ls *loopState) getPipe() (pipe, error) {
	if n := len(ls.pipes); n > 0 {
		p := ls.pipes[n-1]
		ls.pipes = ls.pipes[:n-1]
		return p, nil
	}
	p, _, err := newPipe(ls.pipeSize)
	if err != nil {
		return pipe{}, err
	}
	ls.stats.pipes.Add(1)
	return p, nil
}

// putPipe takes back an empty pipe.
func (ls *loopState) putPipe(p pipe) {
	if len(ls.pipes) < maxFreePipes {
		ls.pipes = append(ls.pipes, p)
		return
	}
	ls.closePipe(p)
}

// closePipe closes a pipe, for one that still holds bytes or is not
// wanted back.
func (ls *loopState) closePipe(p pipe) {
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
	ls.pipes = nil
}

// newPipe makes a non-blocking pipe, sized with F_SETPIPE_SZ when size is
// positive, and returns it with its capacity (F_GETPIPE_SZ).
func newPipe(size int) (p pipe, capacity int, err error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return pipe{}, 0, err
	}
	p = pipe{r: fds[0], w: fds[1]}
	if size > 0 {
		if _, err := unix.FcntlInt(uintptr(p.w), unix.F_SETPIPE_SZ, size); err != nil {
			_ = unix.Close(p.r)
			_ = unix.Close(p.w)
			return pipe{}, 0, err
		}
	}
	capacity, err = unix.FcntlInt(uintptr(p.w), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		_ = unix.Close(p.r)
		_ = unix.Close(p.w)
		return pipe{}, 0, err
	}
	return p, capacity, nil
}

// spliceWorks reports whether this kernel splices a socket into a pipe,
// and the capacity of a pipe of size (0 for the default): one byte
// through a socketpair checks it once at start.
func spliceWorks(size int) (bool, int, error) {
	p, capacity, err := newPipe(size)
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
	return err == nil && n == 1, capacity, nil
}
