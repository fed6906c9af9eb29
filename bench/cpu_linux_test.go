package bench

import (
	"math"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCPUWindowResult(t *testing.T) {
	const sec = int64(1e9)
	tests := []struct {
		name         string
		w            cpuWindow
		cores        int
		wantUtil     float64
		wantWaiting  float64
		wantBound    bool
		wantWaitSecs float64
	}{
		{name: "idle", cores: 2, w: cpuWindow{wall1: 2 * sec, user1: sec / 10, ok: true, waitOK: true},
			wantUtil: 0.025},
		{name: "busy", cores: 1, w: cpuWindow{wall1: sec, user1: sec * 7 / 10, sys1: sec / 4, ok: true, waitOK: true},
			wantUtil: 0.95, wantBound: true},
		// Half a core used and half the time spent waiting for it:
		// other processes had the CPU, the client wanted it.
		{name: "starved", cores: 1, w: cpuWindow{wall1: 2 * sec, user1: sec, wait1: sec * 9 / 10, ok: true, waitOK: true},
			wantUtil: 0.5, wantWaiting: 0.45, wantBound: true, wantWaitSecs: 0.9},
		{name: "no scheduler statistics", cores: 1, w: cpuWindow{wall1: sec, user1: sec / 2, wait1: sec, ok: true},
			wantUtil: 0.5},
		{name: "no sample", cores: 3, w: cpuWindow{wall1: sec, user1: sec}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.w.result(tt.cores, 1000)
			if got.Cores != tt.cores || math.Abs(got.Utilization-tt.wantUtil) > 1e-9 || math.Abs(got.Waiting-tt.wantWaiting) > 1e-9 ||
				got.Bound != tt.wantBound || math.Abs(got.WaitSec-tt.wantWaitSecs) > 1e-9 {
				t.Fatalf("result %+v; want utilization %v, waiting %v (%v s), bound %v", got, tt.wantUtil, tt.wantWaiting, tt.wantWaitSecs, tt.wantBound)
			}
		})
	}
}

func TestRunWait(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	a, ok := runWait([]int{tid})
	if !ok {
		t.Skip("the kernel keeps no scheduler statistics (CONFIG_SCHED_INFO)")
	}
	b, _ := runWait([]int{tid, tid})
	if a < 0 || b < 2*a {
		t.Fatalf("run delays %d and, counting the thread twice, %d", a, b)
	}
	if _, ok := runWait([]int{-1}); ok {
		t.Error("runWait read a thread that does not exist")
	}
	if _, ok := runWait(nil); ok {
		t.Error("runWait of no thread claimed a sample")
	}
}
