//go:build linux

package work

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// How a CPU burn is calibrated.
//
// A burn must cost the thread DUR of CPU time, whatever else the machine
// runs, so it is measured against the thread's own CPU clock
// (CLOCK_THREAD_CPUTIME_ID, clock_gettime(2)), which stops while the
// thread waits for a CPU; a wall-clock spin would burn less CPU the more
// the machine is loaded. The goroutine is locked to its thread while a
// burn reads the clock, so every reading is of the same thread.
//
// Reading that clock is a real system call: the vDSO serves only the
// wall and monotonic clocks and falls back to the kernel for the CPU-time
// clocks (posix_cpu_clock_get, kernel/time/posix-cpu-timers.c).
// docs/perf/README.md ("Handler work") gives its cost, over a microsecond
// on the virtual machines rawnet is measured on, and how much the speed
// of a spin per CPU nanosecond wanders there (±10 % from one run to the
// next), which is why the clock, not a loop count, decides when a burn
// ends. So a burn does not read the clock every few hundred nanoseconds,
// which would make the reads the work, but a few times per burn:
//
//   - At start (NewSource, when the work has a cpu term) calibrate
//     measures the cost of one read and how many steps of spin fit in a
//     nanosecond of thread CPU time.
//   - A burn reads the clock twice, which gives the cost of a read now
//     (it grows with the machine's load), then spins half of what the
//     rate says is left, less the next
//     read, then reads the clock, and repeats until less than half a read
//     is left, so it ends within about half a read of DUR; the reads
//     themselves are thread CPU time and count towards it. Holding half
//     back costs a read per halving (five for 20 µs, ten for 1 ms) but
//     absorbs a spin that runs at half the rate: a kernel built without
//     CONFIG_IRQ_TIME_ACCOUNTING charges the interrupt and softirq work
//     it does on the thread's CPU, such as other processes' loopback
//     traffic, to the thread's clock, so on a loaded machine a spin
//     advances the clock up to half again as fast as when calibrated
//     (docs/perf/README.md). Such time is CPU the thread did not get, and
//     the burn counts it as spent; a burst that lands after the last
//     read is the one overshoot it cannot help. Each round refreshes the
//     rate.
//   - A burn shorter than clockedReads reads, which the reads alone would
//     overshoot, spins what the rate says without reading the clock: it
//     is as good as the rate, which on a noisy virtual machine wanders by
//     10-20 % (docs/perf/README.md).
const clockedReads = 2

// cal is the calibration every burn of the process shares.
var cal struct {
	once sync.Once
	rate atomic.Uint64 // spin iterations per nanosecond of CPU, float64 bits
	read atomic.Int64  // CPU time of one clock read, in nanoseconds
}

// supported reports whether work of kind k can be applied here.
func supported(Kind) error { return nil }

// calibrated returns the rate and the read cost, calibrating on first
// use.
func calibrated() (rate float64, read time.Duration) {
	cal.once.Do(calibrate)
	return math.Float64frombits(cal.rate.Load()), time.Duration(cal.read.Load())
}

// calibrate measures the cost of a read of the thread's CPU clock (the
// median gap between consecutive reads) and the rate of spin against it:
// the median over calibrateBlocks spins, each between two reads, so that
// the few an interrupt lands in do not count.
func calibrate() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	gaps := make([]time.Duration, 15)
	prev := threadCPU()
	for i := range gaps {
		t := threadCPU()
		gaps[i], prev = t-prev, t
	}
	slices.Sort(gaps)
	read := max(gaps[len(gaps)/2], 1)
	rates := make([]float64, calibrateBlocks)
	var x uint64 = 1
	for i := range rates {
		start := threadCPU()
		x = spin(x, calibrateSteps)
		rates[i] = calibrateSteps / float64(max(threadCPU()-start-read, 1))
	}
	slices.Sort(rates)
	cal.read.Store(int64(read))
	cal.rate.Store(math.Float64bits(rates[len(rates)/2]))
	sink.Store(x)
}

// Calibration: 31 spins of 2^15 steps, about 50 µs each on the machines
// of docs/perf/README.md, so that a read is a few percent of one.
const (
	calibrateBlocks = 31
	calibrateSteps  = 1 << 15
)

// sink keeps the calibration's spin from being optimised away.
var sink atomic.Uint64

// threadCPU returns the CPU time the calling thread has used.
func threadCPU() time.Duration {
	var ts unix.Timespec
	// It cannot fail for a valid clock id and pointer.
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

// burner is the state a Runner keeps for its burns.
type burner struct {
	x uint64 // the spin's state, kept so it is not optimised away
}

// burn spends d of the calling thread's CPU time (see the comment at the
// top of this file).
func (b *burner) burn(d time.Duration) {
	rate, read := calibrated()
	if d < clockedReads*read {
		b.x = spin(b.x, iterations(d, rate))
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// A read costs more on a loaded machine than when calibrated (the
	// kernel's entry and exit, cache misses), and the read is the
	// burn's unit, so the burn measures it afresh: the first two reads
	// back to back.
	start := threadCPU()
	t := threadCPU()
	read = max(t-start, 1)
	// What the burn costs is the CPU from the first read's sample to
	// the last one's, plus the half of a read before the first sample
	// and the half after the last.
	for {
		left := d - (t - start) - read
		if left < read/2 {
			return
		}
		s := max(left-read, 0) / 2
		n := iterations(s, rate)
		b.x = spin(b.x, n)
		next := threadCPU()
		if s >= 4*read {
			rate = refresh(n, next-t-read)
		}
		t = next
	}
}

// refresh folds a measured spin of n steps in spent CPU into the shared
// rate and returns the new rate. An interrupt during a spin charges its
// time to the thread's clock and makes the spin look slow, never fast,
// so a faster measurement moves the rate a quarter of the way and a
// slower one a sixteenth: a lasting slowdown still drags the rate down,
// a few interrupts do not.
func refresh(n int, spent time.Duration) float64 {
	old := math.Float64frombits(cal.rate.Load())
	if spent <= 0 || n <= 0 {
		return old
	}
	measured := float64(n) / float64(spent)
	weight := 0.25
	if measured < old {
		weight = 1.0 / 16
	}
	rate := old + (measured-old)*weight
	cal.rate.Store(math.Float64bits(rate))
	return rate
}
