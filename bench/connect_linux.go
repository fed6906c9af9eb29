package bench

import (
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// maxConnecting bounds the connects one worker has in progress, so a
	// large run does not overflow the server's listen backlog at once.
	maxConnecting = 256
	// connectStall fails the connect phase when no connection completed
	// for this long; SYN retries back off to seconds (tcp(7)).
	connectStall = 15 * time.Second
)

// connect opens the worker's connections, at most rate per second when
// rate is positive, spreading them over sources.
func (w *worker) connect(server netip.AddrPort, sources []netip.Addr, rate float64, firstIndex int) error {
	udp := w.cfg.Network == "udp"
	start := w.ctl.clock.now()
	lastProgress := start
	next, opened, connecting := 0, 0, 0
	for opened < len(w.conns) {
		if w.ctl.abort.Load() {
			return errAborted
		}
		now := w.ctl.clock.now()
		wait := int64(maxWait)
		for next < len(w.conns) && connecting < maxConnecting {
			if rate > 0 {
				at := start + int64(float64(next)*1e9/rate)
				if at > now {
					wait = min(wait, at-now)
					break
				}
			}
			c := &w.conns[next]
			var src netip.Addr
			if len(sources) > 0 {
				src = sources[(firstIndex+next)%len(sources)]
			}
			fd, err := dialSocket(w.cfg.Network, server, src)
			if err != nil {
				return fmt.Errorf("bench: connection %d to %s: %w", c.id, server, err)
			}
			c.fd = fd
			ev := unix.EpollEvent{Events: unix.EPOLLOUT, Fd: c.index}
			if udp {
				ev.Events = unix.EPOLLIN
			}
			if err := unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
				return os.NewSyscallError("epoll_ctl", err)
			}
			next++
			if udp {
				c.open = true
				opened++
				w.live.connected.Add(1)
				continue
			}
			connecting++
		}
		if connecting == 0 {
			if opened == len(w.conns) {
				break
			}
		} else if now-lastProgress > int64(connectStall) {
			return fmt.Errorf("bench: %d connections to %s still connecting after %v without progress", connecting, server, connectStall)
		}
		n, errno := w.wait(wait)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return os.NewSyscallError("epoll_pwait2", errno)
		}
		for _, ev := range w.events[:n] {
			c := &w.conns[ev.Fd]
			if c.open {
				continue
			}
			if err := connectError(c.fd); err != nil {
				return fmt.Errorf("bench: connection %d to %s: %w", c.id, server, err)
			}
			if err := w.setEvents(c, false); err != nil {
				return err
			}
			c.open = true
			opened++
			connecting--
			lastProgress = w.ctl.clock.now()
			w.live.connected.Add(1)
		}
	}
	return nil
}
