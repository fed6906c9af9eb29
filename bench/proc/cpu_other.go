//go:build !linux

package proc

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"
)

// errUnsupported is returned where CPU affinity or /proc is missing.
var errUnsupported = errors.New("proc: CPU pinning needs Linux")

// ParseCPUList reads a CPU list such as "0", "2-3" or "0,2-3".
func ParseCPUList(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return nil, errUnsupported
		}
		out = append(out, n)
	}
	return out, nil
}

// FormatCPUList writes cpus the way ParseCPUList reads them.
func FormatCPUList(cpus []int) string {
	parts := make([]string, len(cpus))
	for i, c := range cpus {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ",")
}

// Allowed returns errUnsupported.
func Allowed() ([]int, error) { return nil, errUnsupported }

// PinSelf returns errUnsupported.
func PinSelf(cpus []int) error { return errUnsupported }

// StartPinned starts cmd unpinned when cpus is empty and fails otherwise.
func StartPinned(cmd *exec.Cmd, cpus []int) error {
	if len(cpus) > 0 {
		return errUnsupported
	}
	return cmd.Start()
}

// RaiseNoFile returns want unchanged; the limit is left alone.
func RaiseNoFile(want uint64) (uint64, error) { return want, nil }

// Counters is unsupported outside Linux.
type Counters struct{}

// CounterSample is one reading of Counters.
type CounterSample struct {
	// Syscalls and Switches are totals since the counters opened.
	Syscalls, Switches uint64
}

// MaxCountedThreads bounds the threads OpenCounters counts.
const MaxCountedThreads = 2048

// ErrTooManyThreads is returned by OpenCounters for a process with more
// than MaxCountedThreads threads.
var ErrTooManyThreads = errors.New("proc: too many threads to count")

// OpenCounters returns errUnsupported.
func OpenCounters(int) (*Counters, error) { return nil, errUnsupported }

// Read returns errUnsupported.
func (c *Counters) Read() (CounterSample, error) { return CounterSample{}, errUnsupported }

// Close does nothing.
func (c *Counters) Close() error { return nil }
