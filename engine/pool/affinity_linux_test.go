//go:build linux

package pool

import (
	"io"
	"os"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
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

// TestAffinity serves a connection on a server pinned to one CPU and
// finds its loop's thread and its worker's among the process's threads
// by the affinity /proc reports.
func TestAffinity(t *testing.T) {
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
	s := startTest(t, engine.Config{CPUAffinity: want, Loops: 1, Workers: 1}, 8)
	c := enginetestDial(s)
	if c == nil {
		t.Fatal("dial failed")
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	// The echo came back, so the loop and a worker, which idles on for
	// the keep-alive, are on their pinned threads. (A thread of an
	// earlier server may still be on its way out, so the count before
	// is a floor, not an exact baseline.)
	if got := pinnedThreads(t, want); got < before+2 {
		t.Fatalf("%d threads pinned to CPU %d with one loop and one worker, want at least %d", got, cpu, before+2)
	}
}
