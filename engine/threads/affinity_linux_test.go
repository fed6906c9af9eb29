//go:build linux

package threads_test

import (
	"io"
	"os"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/internal/cpuset"
)

// pinnedThreads counts the process's threads allowed on cpus alone.
func pinnedThreads(t *testing.T, cpus []int) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		got, err := cpuset.Allowed(tid)
		if err == nil && slices.Equal(got, cpus) {
			n++
		}
	}
	return n
}

// TestWorkersPinned serves a connection on a pool pinned to one CPU and
// finds its worker among the process's threads by the affinity /proc
// reports, the way an operator would check it.
func TestWorkersPinned(t *testing.T) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	if set.Count() < 2 {
		t.Skip("needs two CPUs to tell a pinned thread from an unpinned one")
	}
	cpu := -1
	for c := range 1024 {
		if set.IsSet(c) {
			cpu = c
		}
	}
	want := []int{cpu}
	before := pinnedThreads(t, want)
	srv := start(t, engine.Config{CPUAffinity: want})
	c := enginetest.Dial(t, srv)
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	// The echo came back, so a worker is serving c on its pinned thread.
	// (A thread of an earlier server may still be on its way out, so
	// the count before is a floor, not an exact baseline.)
	if got := pinnedThreads(t, want); got < before+1 {
		t.Fatalf("%d threads pinned to CPU %d while one connection is served, want at least %d", got, cpu, before+1)
	}
}
