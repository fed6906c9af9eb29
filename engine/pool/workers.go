package pool

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/internal/cpuset"
)

// job is what a worker runs: the handler's work on a batch of frames,
// then handing the reply on. drop gives up a job the pool will never run
// (it closed with the job still queued).
type job interface {
	// run applies the work with r and hands the reply on: at once when
	// out is nil, else by adding it to out if the job's kind of reply
	// goes there, for out's flush to hand on with others.
	run(r *work.Runner, out outbox)
	drop()
}

// outbox is a worker's own store of replies it holds back, so that the
// replies of several jobs go back to their event loops together: one
// Loop.Submit, and so at most one wake-up of the loop, per loop and flush
// rather than one per job.
type outbox interface {
	// held returns how many replies the outbox holds.
	held() int
	// flush hands every reply held on and empties the outbox.
	flush()
}

// maxHeld is the most replies a worker holds back before it flushes its
// outbox, whatever remains queued.
const maxHeld = 64

// workers is the pool: a bounded queue of jobs and at most max workers
// running them, each with a work.Runner of its own, plus workers that
// took the place of those blocked in the handler's sleep, up to most in
// all.
//
// # Waking workers
//
// Handing a job to a worker that is asleep costs a wake-up: with thread
// workers, two thread switches (the runtime hands its P to the worker's
// locked thread and back when it sleeps again), which on the empty echo
// cost more than the echo. So the pool wakes as few as keep the jobs
// moving. A worker that finds the queue empty parks on a channel of its
// own, on the idle list; push wakes one (or starts one, below the
// bounds) only when no worker is awake outside the handler's sleep, so
// the frames a loop cuts in one round, one job per connection, cost one
// wake-up, and a worker takes job after job until the queue is empty
// before it parks. Only while fewer than procs (GOMAXPROCS) workers are
// awake outside a sleep, so that more could run at once, does a push,
// or a worker that takes a job and leaves others queued, wake another,
// and then only if no worker woken earlier is still on its way to the
// queue (searching, as the Go scheduler's spinning threads): a worker
// that cannot run, or that finds the queue emptied by the time it runs,
// only adds switches.
//
// A worker about to sleep in the handler's work (work.Runner.NotifySleep)
// counts as blocked until it wakes, and wakes or starts a worker in its
// place if jobs wait: a handler that waits on a database keeps workers
// running the handler however many wait, as a thread pool for blocking
// calls must (Java's ForkJoinPool.managedBlock, Go's runtime handing a P
// on from a thread in a system call), up to max not blocked and most in
// all. A sleeper that wakes finishes its job and takes the next like any
// other; the surplus exits after keepAlive idle. A worker idle for
// keepAlive exits, and with a thread worker its OS thread: it is locked
// to it and never unlocked (runtime.LockOSThread: a goroutine that exits
// locked takes its thread with it). So a burst does not leave its
// threads behind, as in the threads engine.
//
// # Replies
//
// A worker whose Runner does no work (the empty echo) holds the TCP
// replies of the jobs it runs in its outbox (newOutbox) and hands them
// to their loops together once the queue is empty or maxHeld are held:
// nothing but taking the next job delays them. With work, each reply
// goes back as its job is done.
//
// The queue holds at most queueLen jobs; push never blocks, so an event
// loop never waits for a worker. A loop whose job does not fit keeps it
// in a backlog of its own and registers with waiting; then each worker
// that takes a job calls freed, which hands those loops the room.
type workers struct {
	max       int32
	most      int32 // workers in all, blocked ones included
	procs     int32 // most workers awake outside a sleep at once
	lock      bool  // thread workers: lock each to its OS thread
	keepAlive time.Duration
	src       *work.Source
	// newOutbox returns a worker's outbox; nil when no job's reply can
	// be held back (UDP workers send each reply themselves).
	newOutbox func() outbox
	// cpus pins thread workers, one per listed CPU in turn
	// (Config.CPUAffinity); born counts the workers ever started, to
	// pick each one's CPU.
	cpus []int
	born atomic.Uint32
	// freed is called by a worker that took a job from the queue while
	// waiting is not zero.
	freed   func()
	waiting atomic.Int32

	// mu guards the queue, the idle list, awake and closed.
	mu sync.Mutex
	// queue is a ring of jobs: n of them from head.
	queue   []job
	head, n int
	idle    []*worker // parked workers, the last parked last
	awake   int32     // live workers not parked, blocked ones included
	// searching counts the workers woken or started that have not yet
	// taken a job or parked again.
	searching int32
	closed    bool

	live    atomic.Int32 // changed under mu
	blocked atomic.Int32 // workers in the handler's sleep
	// wakes counts the workers woken or started to take jobs.
	wakes     atomic.Uint64
	wg        sync.WaitGroup
	quit      chan struct{}
	closeOnce sync.Once
}

// worker is a parked worker's wake-up: a send on wake, by whoever took
// it off the idle list.
type worker struct{ wake chan struct{} }

// newWorkers returns a pool of at most running workers running jobs and most
// in all (at least max), thread workers when lock is set, with a queue
// of queueLen jobs, whose workers apply src's work and exit once idle for
// keepAlive.
func newWorkers(running, most, queueLen int, lock bool, keepAlive time.Duration, src *work.Source) *workers {
	return &workers{
		queue:     make([]job, queueLen),
		max:       int32(running),
		most:      int32(max(most, running)),
		procs:     int32(runtime.GOMAXPROCS(0)),
		lock:      lock,
		keepAlive: keepAlive,
		src:       src,
		freed:     func() {},
		quit:      make(chan struct{}),
	}
}

// push queues j and reports whether it fitted; it never blocks. It wakes
// or starts a worker as more says.
func (p *workers) push(j job) bool {
	p.mu.Lock()
	if p.n == len(p.queue) {
		p.mu.Unlock()
		return false
	}
	p.queue[(p.head+p.n)%len(p.queue)] = j
	p.n++
	p.more()
	p.mu.Unlock()
	return true
}

// more wakes or starts a worker if jobs are queued, none woken is still
// on its way to the queue, and fewer than procs are awake outside the
// handler's sleep. p.mu is held.
func (p *workers) more() {
	if p.n > 0 && p.searching == 0 && p.awake-p.blocked.Load() < p.procs {
		p.wakeLocked()
	}
}

// queued returns how many jobs wait in the queue.
func (p *workers) queued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// take removes the oldest job from the queue. p.mu is held.
func (p *workers) take() (job, bool) {
	if p.n == 0 {
		return nil, false
	}
	j := p.queue[p.head]
	p.queue[p.head] = nil
	p.head = (p.head + 1) % len(p.queue)
	p.n--
	return j, true
}

// full reports whether a pool of n live workers may start no other: max
// of them are not blocked in a sleep, or most are alive.
func (p *workers) full(n int32) bool {
	return n-p.blocked.Load() >= p.max || n >= p.most
}

// wakeLocked wakes the worker that parked last, or starts one if none is
// parked and the pool is below its bounds. p.mu is held.
func (p *workers) wakeLocked() {
	if k := len(p.idle); k > 0 {
		w := p.idle[k-1]
		p.idle[k-1] = nil
		p.idle = p.idle[:k-1]
		p.awake++
		p.searching++
		p.wakes.Add(1)
		// Taken off the idle list once per park, so its buffer of one
		// is empty: the send never blocks.
		w.wake <- struct{}{}
		return
	}
	n := p.live.Load()
	if p.closed || p.full(n) {
		return
	}
	p.live.Store(n + 1)
	p.awake++
	p.searching++
	p.wakes.Add(1)
	cpu := -1
	if p.lock && len(p.cpus) > 0 {
		cpu = p.cpus[int(p.born.Add(1)-1)%len(p.cpus)]
	}
	p.wg.Add(1)
	go p.work(cpu)
}

// alive returns how many workers, and so thread workers' OS threads, the
// pool holds now.
func (p *workers) alive() int { return int(p.live.Load()) }

// sleeping is told by a worker's Runner that the worker starts (true) or
// ends (false) a sleep of the handler's work. A worker going to sleep
// with jobs queued wakes or starts one in its place.
func (p *workers) sleeping(start bool) {
	if !start {
		p.blocked.Add(-1)
		return
	}
	p.mu.Lock()
	p.blocked.Add(1)
	p.more()
	p.mu.Unlock()
}

// work is a worker's life: take jobs until the pool closes or none comes
// for keepAlive. A thread worker is pinned to cpu unless it is -1. It
// starts awake and searching, counted in p.awake and p.searching by
// whoever started it, as it is whenever it is woken.
func (p *workers) work(cpu int) {
	defer p.wg.Done()
	if p.lock {
		// Never unlocked: see workers.
		runtime.LockOSThread()
		if cpu >= 0 {
			// The CPUs were checked when the server started; a
			// failure here leaves the worker unpinned rather than its
			// frames unserved.
			_ = cpuset.Pin(cpu)
		}
	}
	r := p.src.Next()
	r.NotifySleep(p.sleeping)
	var out outbox
	if p.newOutbox != nil && !r.On() {
		out = p.newOutbox()
	}
	w := &worker{wake: make(chan struct{}, 1)}
	idle := time.NewTimer(p.keepAlive)
	idle.Stop()
	defer idle.Stop()
	searching := true
	for {
		p.mu.Lock()
		if searching && (p.closed || p.n == 0) {
			// Found the queue empty, or the pool closed: no longer
			// on its way to a job.
			p.searching--
			searching = false
		}
		if p.closed {
			p.awake--
			p.live.Add(-1)
			p.mu.Unlock()
			if out != nil {
				out.flush()
			}
			return
		}
		if j, ok := p.take(); ok {
			if searching {
				p.searching--
				searching = false
			}
			p.more()
			p.mu.Unlock()
			if p.waiting.Load() > 0 {
				p.freed()
			}
			j.run(&r, out)
			if out != nil && out.held() >= maxHeld {
				out.flush()
			}
			continue
		}
		if out != nil && out.held() > 0 {
			// The queue is empty: the replies go back before the
			// worker parks, and it looks at the queue again after.
			p.mu.Unlock()
			out.flush()
			continue
		}
		p.awake--
		p.idle = append(p.idle, w)
		p.mu.Unlock()
		idle.Reset(p.keepAlive)
		select {
		case <-w.wake:
			idle.Stop()
			searching = true
		case <-idle.C:
			if p.retire(w) {
				return
			}
			searching = true
		case <-p.quit:
			p.mu.Lock()
			if !p.unpark(w) {
				// Woken meanwhile: counted awake and searching.
				p.awake--
				p.searching--
			}
			p.live.Add(-1)
			p.mu.Unlock()
			return
		}
	}
}

// retire lets a worker idle for keepAlive go and reports true, unless a
// push took it off the idle list as it gave up: then it waits for that
// wake-up, already on its way, and takes the job.
func (p *workers) retire(w *worker) bool {
	p.mu.Lock()
	if p.unpark(w) {
		p.live.Add(-1)
		p.mu.Unlock()
		return true
	}
	p.mu.Unlock()
	<-w.wake
	return false
}

// unpark takes w off the idle list and reports whether it was there.
// p.mu is held.
func (p *workers) unpark(w *worker) bool {
	i := slices.Index(p.idle, w)
	if i < 0 {
		return false
	}
	p.idle = slices.Delete(p.idle, i, i+1)
	return true
}

// close stops the workers once their current jobs are done, waits for
// them, and drops the jobs still queued. The loops must have stopped, so
// that nothing is pushed any more.
func (p *workers) close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		close(p.quit)
		p.wg.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		for {
			j, ok := p.take()
			if !ok {
				return
			}
			j.drop()
		}
	})
}
