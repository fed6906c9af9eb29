//go:build linux

package netpoll

import (
	"fmt"
	"sync"

	"github.com/rawnet/rawnet/netpoll/internal/uring"
)

// uringCheck runs the io_uring availability check once per process:
// the answer cannot change while it runs, and the check sets up a ring.
var uringCheck = sync.OnceValue(uring.Check)

// CheckBackend reports whether b can run in this process: nil, or an
// error wrapping ErrBackendUnavailable that names the cause in one line,
// such as io_uring switched off by sysctl, denied by a seccomp filter, or
// a kernel too old for multishot recv.
func CheckBackend(b Backend) error {
	switch b {
	case BackendEpoll:
		return nil
	case BackendUring:
		if err := uringCheck(); err != nil {
			return fmt.Errorf("%w: %w", ErrBackendUnavailable, err)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown backend %d", ErrBackendUnavailable, b)
}
