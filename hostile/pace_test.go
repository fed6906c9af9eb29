//go:build linux

package hostile

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// cpuSample is the CPU time one CPU, or the whole machine, and the
// case's own processes had used at one instant.
type cpuSample struct {
	at   time.Time
	busy time.Duration // the CPU's busy time, or the sum over every CPU
	ours time.Duration // the given processes'
	cpus int           // how many CPUs busy counts
}

// sampleCPU reads the busy time of the CPUs in the comma-separated list
// cpu, or of every CPU if cpu is empty, from /proc/stat (proc_stat(5): a line per CPU, after one that
// sums them, in clock ticks), and the CPU time of pids. Busy is user,
// nice, system, irq, softirq and steal time: with tick-based accounting
// the kernel charges a tick spent in softirq, such as receiving loopback
// traffic, both to the softirq column and to the process it interrupted
// (with CONFIG_IRQ_TIME_ACCOUNTING it charges it to no process, and then
// the case's own softirq time counts as other work). A field it cannot
// read counts as zero.
func sampleCPU(cpu string, pids ...int) cpuSample {
	s := cpuSample{at: time.Now()}
	for _, pid := range pids {
		s.ours += max(cpuTime(pid), 0)
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	want := map[string]bool{}
	for _, c := range strings.Split(cpu, ",") {
		want["cpu"+c] = true // "cpu" alone, the sum, when cpu is empty
	}
	per := 0 // per-CPU lines
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if f[0] != "cpu" {
			per++
		}
		if !want[f[0]] {
			continue
		}
		// user nice system idle iowait irq softirq steal
		for _, i := range []int{1, 2, 3, 6, 7, 8} {
			if i >= len(f) {
				break
			}
			if v, err := strconv.ParseInt(f[i], 10, 64); err == nil {
				s.busy += time.Duration(v) * time.Second / clockTicks
			}
		}
	}
	s.cpus = len(want)
	if cpu == "" {
		s.cpus = per
	}
	return s
}

// others returns the share of the sampled CPU time, since before, that
// went to work other than the given processes.
func (s cpuSample) others(before cpuSample) float64 {
	wall := s.at.Sub(before.at) * time.Duration(max(s.cpus, 1))
	if wall <= 0 {
		return 0
	}
	return max(float64((s.busy-before.busy)-(s.ours-before.ours)), 0) / float64(wall)
}

// pacedPings has every conn send a pingSize message each floodPace for
// d, the conns' turns spread evenly over the pace, one message in flight
// per conn: a conn whose round trip overran its turn sends at once. It
// returns every round trip, or the first error.
func pacedPings(conns []net.Conn, d time.Duration) ([]time.Duration, error) {
	began := time.Now()
	end := began.Add(d)
	turns := int(d / floodPace)
	var mu sync.Mutex
	var all []time.Duration
	errs := make(chan error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetDeadline(end.Add(patience))
			first := began.Add(time.Duration(i) * floodPace / time.Duration(len(conns)))
			msg := make([]byte, pingSize)
			got := make([]byte, pingSize)
			lat := make([]time.Duration, 0, turns)
			for k := range turns {
				at := first.Add(time.Duration(k) * floodPace)
				if !at.Before(end) {
					break
				}
				// Wait for this conn's turn. This shapes the load; it
				// synchronises nothing.
				if wait := time.Until(at); wait > 0 {
					time.Sleep(wait)
				}
				msg[0], msg[1], msg[2] = byte(i), byte(k), byte(k>>8)
				sent := time.Now()
				if _, err := c.Write(msg); err != nil {
					errs <- fmt.Errorf("ping-ponger %d turn %d: %w", i, k, err)
					return
				}
				if _, err := io.ReadFull(c, got); err != nil {
					errs <- fmt.Errorf("ping-ponger %d turn %d: %w", i, k, err)
					return
				}
				lat = append(lat, time.Since(sent))
				if string(got) != string(msg) {
					errs <- fmt.Errorf("ping-ponger %d turn %d: echo differs", i, k)
					return
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	return all, <-errs
}

// splitCPUs returns, as taskset(1) CPU lists, the last CPU this process
// may run on, for the server, and the others, for the clients, and the
// list of all of them; the first two are empty when there is only one
// CPU to share.
func splitCPUs(t tb) (server, clients, all string) {
	t.Helper()
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatalf("sched_getaffinity: %v", err)
	}
	var cpus []string
	for c := range len(set) * 64 {
		if set.IsSet(c) {
			cpus = append(cpus, strconv.Itoa(c))
		}
	}
	for _, tool := range []string{"taskset", "chrt"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s(1), from util-linux, pins and schedules the case's processes: %v", tool, err)
		}
	}
	all = strings.Join(cpus, ",")
	if len(cpus) < 2 {
		return "", "", all
	}
	return cpus[len(cpus)-1], strings.Join(cpus[:len(cpus)-1], ","), all
}

// pinSelf restricts every thread of the test process to cpus until the
// case ends, then gives them all back. Affinity is per thread and a new
// thread inherits its creator's (sched_setaffinity(2)); taskset -a sets
// every thread /proc lists, and a second pass catches a thread created by
// one the first pass had not reached yet.
func pinSelf(t tb, cpus, all string) {
	t.Helper()
	if err := setAffinity(cpus); err != nil {
		t.Fatalf("pinning the test process: %v", err)
	}
	t.Cleanup(func() {
		if err := setAffinity(all); err != nil {
			t.Errorf("unpinning the test process: %v", err)
		}
	})
}

// setAffinity runs taskset -a on this process twice (see pinSelf).
func setAffinity(cpus string) error {
	for range 2 {
		out, err := exec.Command("taskset", "-a", "-p", "--cpu-list", cpus, strconv.Itoa(os.Getpid())).CombinedOutput()
		if err != nil {
			return fmt.Errorf("taskset: %w: %s", err, out)
		}
	}
	return nil
}
