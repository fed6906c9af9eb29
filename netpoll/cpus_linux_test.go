//go:build linux

package netpoll

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/cpuset"
)

// allowedCPUs returns the CPUs this process may run on.
func allowedCPUs(t *testing.T) []int {
	t.Helper()
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	var cpus []int
	for c := range 1024 {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus
}

// TestCPUsPinLoops pins two loops to the last allowed CPU and the first,
// in that order, and reads each loop thread's affinity back from /proc
// from inside a callback running on it.
func TestCPUsPinLoops(t *testing.T) {
	allowed := allowedCPUs(t)
	cpus := []int{allowed[len(allowed)-1], allowed[0]}
	type seen struct {
		loop int
		cpus []int
		err  error
	}
	got := make(chan seen, 8)
	h := newTestHandler()
	h.open = func(c *Conn) {
		cs, err := cpuset.Allowed(unix.Gettid())
		got <- seen{loop: c.Loop().Index(), cpus: cs, err: err}
	}
	s := startServer(t, h, Config{Loops: 2, Balance: RoundRobin, CPUs: cpus})
	for range 2 {
		dial(t, s)
	}
	for range 2 {
		g := <-got
		if g.err != nil {
			t.Fatal(g.err)
		}
		if want := []int{cpus[g.loop]}; !slices.Equal(g.cpus, want) {
			t.Errorf("loop %d runs on a thread allowed CPUs %v, want %v", g.loop, g.cpus, want)
		}
	}
}

func TestCPUsRefusesACPUOutsideTheProcess(t *testing.T) {
	_, err := Listen("tcp", "127.0.0.1:0", newTestHandler(), Config{Loops: 1, CPUs: []int{4096}})
	if err == nil || !strings.Contains(err.Error(), "CPU 4096") {
		t.Fatalf("Listen with CPU 4096 = %v, want an error naming the CPU", err)
	}
}
