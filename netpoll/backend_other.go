//go:build !linux

package netpoll

import "fmt"

// CheckBackend returns an error wrapping ErrBackendUnavailable: neither
// epoll nor io_uring exists outside Linux.
func CheckBackend(b Backend) error {
	return fmt.Errorf("%w: %s needs Linux", ErrBackendUnavailable, b)
}
