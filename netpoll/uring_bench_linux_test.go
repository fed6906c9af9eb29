//go:build linux

package netpoll

import (
	"fmt"
	"testing"
)

// BenchmarkUringEcho is BenchmarkEcho's ping-pong on each backend, epoll
// sleeping in epoll_wait and io_uring in io_uring_enter, so allocs/op
// shows that the io_uring path allocates nothing per message either and
// the two can be compared side by side.
func BenchmarkUringEcho(b *testing.B) {
	for _, backend := range []Backend{BackendEpoll, BackendUring} {
		for _, size := range []int{64, 1024, 16 << 10} {
			b.Run(fmt.Sprintf("backend=%s/size=%d", backend, size), func(b *testing.B) {
				if err := CheckBackend(backend); err != nil {
					b.Skip(err)
				}
				benchRoundTrips(b, Config{Loops: 1, Wait: WaitSyscall, Backend: backend}, size)
			})
		}
	}
}
