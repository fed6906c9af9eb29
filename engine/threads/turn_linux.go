package threads

import (
	"runtime"
	"runtime/metrics"
)

// turnBudget is how many bytes a connection may read in a row, every read
// filling its buffer, before it lets the other connections have a turn.
// docs/perf/README.md ("Fairness under a flood") has the measurements
// behind the size.
const turnBudget = 256 << 10

// runnableMetric counts the goroutines ready to run that no P is running
// (runtime/metrics, since Go 1.26).
const runnableMetric = "/sched/goroutines/runnable:goroutines"

// take counts n bytes read against the connection's turn and, once it
// has read turnBudget bytes in a row, hands its P to the goroutines
// waiting for one, if any (runtime.Gosched). A read that did not fill
// the buffer found the socket empty, so the next one blocks, and that
// ends the streak.
//
// A connection thread back from a blocking read needs a P to run Go
// code; while every P is taken, it puts its goroutine on the global run
// queue and sleeps until the scheduler runs it (runtime/proc.go,
// exitsyscall). A thread that always finds input passes through the
// scheduler only when sysmon preempts it, every 10 ms (forcePreemptNS),
// so the connections whose requests arrived meanwhile wait that long,
// and then some more each: a thread that blocks in read keeps its P
// until sysmon retakes it or a thread back from a system call takes it.
//
// A yield nobody needs is not free, though. The goroutine is locked to
// its thread, so it hands the P off and back (stoplockedm,
// startlockedm), and once the goroutines it let run block in read, it
// waits for sysmon to retake their P: yielding at every turn's end cost a
// flooding connection half its throughput. So it yields only while the
// runtime counts a goroutine ready to run; the count takes the
// scheduler's lock for about 0.1 µs, once a turn.
func (c *conn) take(n int, filled bool) {
	if !filled {
		c.streak = 0
		return
	}
	if c.streak += n; c.streak < turnBudget {
		return
	}
	c.streak = 0
	if c.othersWait() {
		runtime.Gosched()
	}
}

// othersWait reports whether the runtime counts goroutines ready to run
// that no P runs, or cannot tell.
func (c *conn) othersWait() bool {
	if c.runnable == nil {
		c.runnable = []metrics.Sample{{Name: runnableMetric}}
	}
	metrics.Read(c.runnable)
	v := c.runnable[0].Value
	return v.Kind() != metrics.KindUint64 || v.Uint64() > 0
}
