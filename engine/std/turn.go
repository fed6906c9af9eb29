package std

import (
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"
)

// Turn sizes: how many bytes a connection may read in a row, every read
// filling its buffer, before it lets the other connections have a turn;
// and, once its last wait found others ready to run, how many, read at
// most that many at a time. docs/perf/README.md ("Fairness under a
// flood") has the measurements behind the sizes: smaller turns shorten
// the others' wait, and cost a connection alone the throughput of large
// reads.
const (
	turnBudget = 64 << 10
	turnShare  = 16 << 10
)

// shareFor is how long after a turn that found others ready a
// connection keeps its turns to turnShare.
const shareFor = time.Millisecond

// runnableMetric counts the goroutines ready to run that no P is running
// (runtime/metrics, since Go 1.26).
const runnableMetric = "/sched/goroutines/runnable:goroutines"

// turns makes a connection that has used up its turnBudget wait until Go's
// network poller has run, so that the connections it finds readable
// meanwhile are served before that one reads again.
//
// runtime.Gosched is not enough. The scheduler polls the network only
// when both run queues are empty, or from sysmon once nobody has polled
// for 10 ms (runtime/proc.go, findRunnable and sysmon; golang.org/issue/51651),
// and Gosched puts the goroutine on the global run queue, where the
// scheduler finds it again before it ever polls. While every P runs a
// connection that always has input (one P on a server pinned to one CPU),
// those goroutines never block, and a connection whose request has
// arrived stays parked, unseen, for up to 10 ms. So a connection whose
// turn is over parks on the runtime's poller instead, on the read end of
// a pipe it has just written a byte to: the scheduler runs what is
// runnable, polls the network and finds the pipe ready together with
// every connection the network woke. netpoll's busy loops yield the same
// way (netpoll/yield_linux.go); here a pipe, not an eventfd, keeps the
// engine building on every Unix, and one pipe serves the whole server.
//
// One waiter at a time, the leader, parks on the pipe (an fd's reads are
// serialised); connections that run out of turn while it is parked
// follow it, and are released by the same poll.
type turns struct {
	r, w *os.File
	rc   syscall.RawConn
	// check is the leader's RawConn.Read callback, bound once rather
	// than a closure per park; calls counts its calls in the current park.
	check func(fd uintptr) bool
	calls int
	one   []byte
	drain []byte

	// runnable reads the runtime's count of goroutines ready to run;
	// only the leader uses it.
	runnable []metrics.Sample

	mu      sync.Mutex
	leading bool       // a leader is parked on the pipe
	round   *turnRound // the round the next waiters join
}

// turnRound is one park of a leader, which its followers wait for.
type turnRound struct {
	done    chan struct{} // closed by the leader once the poller has run
	crowded bool          // set before done closes: see wait
}

// newTurns opens the pipe. The read end is registered with the runtime's
// poller (os.Pipe), so parking on it waits in the poller.
func newTurns() (*turns, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	rc, err := r.SyscallConn()
	if err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	t := &turns{r: r, w: w, rc: rc, one: []byte{0}, drain: make([]byte, 16),
		runnable: []metrics.Sample{{Name: runnableMetric}}, round: newRound()}
	t.check = t.poll
	return t, nil
}

// newRound returns a round no one has parked for yet.
func newRound() *turnRound { return &turnRound{done: make(chan struct{})} }

// wait returns once the runtime has polled the network, and after the
// goroutines that poll made runnable: the leader writes a byte to the pipe
// and parks until the poller reports it; a follower waits for the leader.
// Being released makes a goroutine the next to run on its P
// (runtime.ready), ahead of those the same poll made runnable;
// runtime.Gosched sends it behind them. It reports whether the poll found
// others ready: the leader, whose byte is usually the last readiness the
// poll reports and so usually runs first, counts the goroutines left
// runnable; a follower shared the round with the leader, so it counts as
// crowded.
func (t *turns) wait() (crowded bool) {
	t.mu.Lock()
	round := t.round
	if t.leading {
		t.mu.Unlock()
		<-round.done
		runtime.Gosched()
		return true
	}
	t.leading = true
	t.mu.Unlock()
	t.calls = 0
	// An error means the pipe is closed: the server has stopped and no
	// connection is left to wait.
	_ = t.rc.Read(t.check)
	metrics.Read(t.runnable)
	v := t.runnable[0].Value
	round.crowded = v.Kind() != metrics.KindUint64 || v.Uint64() > 0
	t.mu.Lock()
	t.leading = false
	t.round = newRound()
	t.mu.Unlock()
	close(round.done)
	runtime.Gosched()
	return round.crowded
}

// poll is the leader's check: RawConn.Read calls it once the runtime's
// record of the pipe's readiness is cleared, so the byte its first call
// writes makes an edge the poller cannot have reported yet, and it returns
// false to park; the next call, once the poller has reported the pipe,
// takes the byte back and ends the wait.
func (t *turns) poll(fd uintptr) bool {
	t.calls++
	if t.calls == 1 {
		if _, err := t.w.Write(t.one); err != nil {
			return true
		}
		return false
	}
	_, _ = readFD(fd, t.drain)
	return true
}

// close closes the pipe, once no connection is left to wait.
func (t *turns) close() {
	t.w.Close()
	t.r.Close()
}
