package std

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// write sends p in full. It writes through the raw socket rather than
// net.Conn.Write so that it can tell when the kernel's send buffer is full:
// that is the moment this connection stops being read (backpressure), and
// it is counted once per write that has to wait. While it waits, what is
// left of p counts as output queued; when it completes, reading resumes.
// The write deadline is renewed after every partial write, so
// WriteTimeout bounds a lack of progress, not the whole write.
func (cn *conn) write(p []byte) error {
	wto := cn.s.cfg.WriteTimeout
	cn.out, cn.blocked = p, false
	defer cn.written()
	for len(cn.out) > 0 {
		if wto > 0 {
			if err := cn.c.SetWriteDeadline(time.Now().Add(wto)); err != nil {
				return err
			}
		}
		cn.wn, cn.werr = 0, nil
		err := cn.rc.Write(cn.writeFn)
		if cn.wn > 0 {
			cn.s.stats.BytesOut.Add(uint64(cn.wn))
			cn.out = cn.out[cn.wn:]
			if cn.blocked {
				cn.s.stats.OutputQueued.Add(-int64(cn.wn))
			}
		}
		if err != nil {
			return err
		}
		if cn.werr != nil {
			return os.NewSyscallError("write", cn.werr)
		}
	}
	return nil
}

// writeOnce is the rc.Write callback: one write(2), or false to wait for
// the socket to become writable when the send buffer is full.
func (cn *conn) writeOnce(fd uintptr) bool {
	n, err := writeFD(fd, cn.out)
	if errors.Is(err, syscall.EAGAIN) {
		if !cn.blocked {
			cn.blocked = true
			cn.s.stats.Backpressure.Add(1)
			cn.s.stats.OutputQueued.Add(int64(len(cn.out)))
		}
		return false
	}
	cn.wn, cn.werr = max(n, 0), err
	return true
}

// written ends a write: a write that had to wait takes what it left
// unsent out of the output queued, and counts reading resumed if it
// completed.
func (cn *conn) written() {
	if cn.blocked {
		cn.s.stats.OutputQueued.Add(-int64(len(cn.out)))
		if len(cn.out) == 0 {
			cn.s.stats.Resumed.Add(1)
		}
	}
	cn.out = nil
}
