//go:build linux

package cpuset

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Pin restricts the calling OS thread to cpu with sched_setaffinity(2).
// The caller must hold its thread with runtime.LockOSThread first: the
// affinity belongs to the thread, not to the goroutine, so an unlocked
// goroutine could move to another thread at its next reschedule and leave
// the setting behind for whatever runs there.
func Pin(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	// pid 0 is the calling thread (sched_setaffinity(2), NOTES).
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return os.NewSyscallError("sched_setaffinity", err)
	}
	return nil
}

// Allowed returns the CPUs thread tid may run on, as the kernel reports
// them in /proc/self/task/TID/status (Cpus_allowed_list).
func Allowed(tid int) ([]int, error) {
	b, err := os.ReadFile("/proc/self/task/" + itoa(tid) + "/status")
	if err != nil {
		return nil, err
	}
	return allowedFromStatus(string(b))
}

// Check refuses a CPU the calling process may not run on, naming it, so
// that a typo in a CPU list fails at start rather than in a thread later
// with EINVAL from sched_setaffinity(2).
func Check(cpus []int) error {
	if len(cpus) == 0 {
		return nil
	}
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		return os.NewSyscallError("sched_getaffinity", err)
	}
	for _, c := range cpus {
		if c < 0 || !allowed.IsSet(c) {
			return fmt.Errorf("cpuset: CPU %d is not one this process may run on (%d allowed)", c, allowed.Count())
		}
	}
	return nil
}
