//go:build !linux

package proc

import (
	"errors"
	"os/exec"
)

// errUnsupported is returned where CPU affinity or /proc is missing.
var errUnsupported = errors.New("proc: CPU pinning needs Linux")

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

// OpenCounters returns errUnsupported.
func OpenCounters(int) (*Counters, error) { return nil, errUnsupported }

// Read returns errUnsupported.
func (c *Counters) Read() (CounterSample, error) { return CounterSample{}, errUnsupported }

// Close does nothing.
func (c *Counters) Close() error { return nil }
