//go:build linux

package cpuset

import (
	"runtime"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPinReadBack pins a locked thread to one CPU it may use and reads the
// affinity back from /proc, the way an operator would check it.
func TestPinReadBack(t *testing.T) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	cpu := -1
	for c := range 1024 {
		if set.IsSet(c) {
			cpu = c
		}
	}
	if cpu < 0 {
		t.Fatal("no CPU allowed")
	}
	got := make(chan []int, 1)
	errs := make(chan error, 1)
	go func() {
		// The goroutine keeps its thread locked and exits with it, so the
		// pinned thread is never reused by another goroutine.
		runtime.LockOSThread()
		if err := Pin(cpu); err != nil {
			errs <- err
			return
		}
		cpus, err := Allowed(unix.Gettid())
		if err != nil {
			errs <- err
			return
		}
		got <- cpus
	}()
	select {
	case err := <-errs:
		t.Fatal(err)
	case cpus := <-got:
		if !slices.Equal(cpus, []int{cpu}) {
			t.Fatalf("pinned thread may run on %v, want [%d]", cpus, cpu)
		}
	}
}
