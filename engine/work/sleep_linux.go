//go:build linux

package work

import (
	"time"

	"golang.org/x/sys/unix"
)

// blockThread blocks the calling thread for d in nanosleep(2). The
// runtime's signals (preemption, profiling) interrupt it with EINTR and
// the time left, from which it sleeps on.
func blockThread(d time.Duration) {
	req := unix.NsecToTimespec(int64(d))
	var rem unix.Timespec
	for unix.Nanosleep(&req, &rem) == unix.EINTR {
		req = rem
	}
}
