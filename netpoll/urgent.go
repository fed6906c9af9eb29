package netpoll

import (
	"sync"
	"sync/atomic"
)

// urgent counts the Urgent calls whose done has not been called yet.
var urgent atomic.Int32

// Urgent tells the process's loops that another goroutine has work that
// waits on the processor (answering a metrics scrape, a health check, an
// admin request) until done is called. Meanwhile every loop yields to the
// Go scheduler after each round instead of once a millisecond, and none
// holds a wait out of sysmon's reach (Config.HoldShortWaits).
//
// Why it is needed: a busy loop keeps its P between yields. When such a
// goroutine makes a system call that outlasts sysmon's 20 µs check, the
// runtime hands its P to the loop, which then keeps it until its next
// yield; a scrape that makes a few such calls (reading /proc, writing its
// response) waited a millisecond for each. Yielding every round while
// the work runs shortens each of those waits to one round, at the cost
// of a few system calls per round for that time only.
//
// Calling done more than once is harmless. Loops that are idle are not
// affected: they wait without a P (Config.Wait) or wake on the work's own
// events. Without epoll, where there are no loops, it does nothing.
func Urgent() (done func()) {
	urgent.Add(1)
	var once sync.Once
	return func() { once.Do(func() { urgent.Add(-1) }) }
}

// hurried reports whether some Urgent work is running.
func hurried() bool { return urgent.Load() != 0 }
