//go:build linux

package netpoll

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// checkCPUs refuses a Config.CPUs entry the process may not run on, so
// that a typo fails Listen with the CPU it names instead of failing a
// loop later with EINVAL from sched_setaffinity(2).
func checkCPUs(cpus []int) error {
	if len(cpus) == 0 {
		return nil
	}
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		return os.NewSyscallError("sched_getaffinity", err)
	}
	for _, c := range cpus {
		if c < 0 || !allowed.IsSet(c) {
			return fmt.Errorf("netpoll: CPU %d is not one this process may run on (%d allowed)", c, allowed.Count())
		}
	}
	return nil
}
