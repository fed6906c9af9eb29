//go:build !linux

package cpuset

import "errors"

// ErrUnsupported is returned by Pin and Allowed where the system has no
// per-thread CPU affinity that rawnet knows how to set.
var ErrUnsupported = errors.New("cpuset: CPU affinity is supported on Linux only")

// Pin is sched_setaffinity(2) on Linux; elsewhere it returns
// ErrUnsupported.
func Pin(cpu int) error { return ErrUnsupported }

// Allowed reads a thread's allowed CPUs on Linux; elsewhere it returns
// ErrUnsupported.
func Allowed(tid int) ([]int, error) { return nil, ErrUnsupported }

// Check accepts an empty list and refuses any other with ErrUnsupported
// where Pin cannot honour it.
func Check(cpus []int) error {
	if len(cpus) == 0 {
		return nil
	}
	return ErrUnsupported
}
