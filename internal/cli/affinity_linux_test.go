//go:build linux

package cli

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// lastCPU returns the highest-numbered CPU this process may run on.
func lastCPU(t *testing.T) int {
	t.Helper()
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	last := -1
	for c := range 1024 {
		if set.IsSet(c) {
			last = c
		}
	}
	return last
}

func TestCPUAffinityInTheListeningLine(t *testing.T) {
	cpu := strconv.Itoa(lastCPU(t))
	s := startRun(t, tcpCmd, "--addr", "127.0.0.1:0", "--engine", "epoll", "--loops", "1", "--cpu-affinity", cpu)
	if want := "cpu-affinity=" + cpu; !strings.Contains(s.line, want) {
		t.Errorf("listening line %q lacks %q", s.line, want)
	}
	if code, _ := s.stop(t); code != ExitOK {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, s.stderr)
	}
}

func TestCPUAffinityRefusedWhereThreadsAreTheRuntimes(t *testing.T) {
	for _, eng := range []string{"std", "gnet"} {
		t.Run(eng, func(t *testing.T) {
			code, _, stderr := runSync(t, tcpCmd, "--addr", "127.0.0.1:0", "--engine", eng, "--cpu-affinity", "0")
			if code != ExitError || !strings.Contains(stderr, "taskset") {
				t.Fatalf("exit %d, stderr %q; want %d and a hint to use taskset", code, stderr, ExitError)
			}
		})
	}
}

func TestCPUAffinityRefusesACPUOutsideTheProcess(t *testing.T) {
	code, _, stderr := runSync(t, tcpCmd, "--addr", "127.0.0.1:0", "--engine", "epoll", "--cpu-affinity", "4000")
	if code != ExitError || !strings.Contains(stderr, "CPU 4000") {
		t.Fatalf("exit %d, stderr %q; want %d naming CPU 4000", code, stderr, ExitError)
	}
}
