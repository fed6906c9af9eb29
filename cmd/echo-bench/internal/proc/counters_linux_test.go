package proc

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCounters(t *testing.T) {
	c, err := OpenCounters(os.Getpid())
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, os.ErrNotExist) {
		t.Skipf("perf counters unavailable here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	before, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	const calls, sleeps = 1000, 5
	for range calls {
		unix.Getppid()
	}
	// Sleeping in the kernel gives up the CPU: a voluntary switch each.
	for range sleeps {
		ts := unix.Timespec{Nsec: 100_000}
		_ = unix.Nanosleep(&ts, nil)
	}
	after, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	if d := after.Syscalls - before.Syscalls; d < calls+sleeps {
		t.Errorf("counted %d system calls, want at least %d", d, calls+sleeps)
	}
	if d := after.Switches - before.Switches; d < sleeps {
		t.Errorf("counted %d context switches, want at least %d", d, sleeps)
	}
}

func TestOpenCountersNoProcess(t *testing.T) {
	if _, err := OpenCounters(-1); err == nil {
		t.Error("OpenCounters(-1) succeeded")
	}
}
