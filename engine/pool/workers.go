package pool

import (
	"runtime"
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
	run(r *work.Runner)
	drop()
}

// workers is the pool: a bounded queue of jobs and at most max workers
// running them, each with a work.Runner of its own, plus workers that
// took the place of those blocked in the handler's sleep, up to most in
// all.
//
// Workers start on demand: a push that finds no worker idle starts one
// while fewer than max are alive and not blocked in a sleep. A worker
// about to sleep (work.Runner.NotifySleep) counts as blocked until it
// wakes, and starts a worker in its place if jobs wait and none is idle:
// a handler that waits on a database keeps max workers running the
// handler however many wait, as a thread pool for blocking calls must
// (Java's ForkJoinPool.managedBlock, Go's runtime handing a P on from a
// thread in a system call). A sleeper that wakes finishes its job and
// takes the next like any other, so the workers settle at about max plus
// those asleep at once; the surplus exits after keepAlive idle. Work
// without sleep never blocks a worker, and the pool stays at max. A worker idle for keepAlive exits, and
// with a thread worker its OS thread: it is locked to it and never
// unlocked (runtime.LockOSThread: a goroutine that exits locked takes its
// thread with it). So a burst does not leave its threads behind, as in
// the threads engine.
//
// The queue holds at most cap(jobs) jobs; push never blocks, so an event
// loop never waits for a worker. A loop whose job does not fit keeps it
// in a backlog of its own and registers with waiting; then each worker
// that takes a job calls freed, which hands those loops the room.
type workers struct {
	jobs      chan job
	max       int32
	most      int32 // workers in all, blocked ones included
	lock      bool  // thread workers: lock each to its OS thread
	keepAlive time.Duration
	src       *work.Source
	// cpus pins thread workers, one per listed CPU in turn
	// (Config.CPUAffinity); born counts the workers ever started, to
	// pick each one's CPU.
	cpus []int
	born atomic.Uint32
	// freed is called by a worker that took a job from the queue while
	// waiting is not zero.
	freed   func()
	waiting atomic.Int32

	live, idle atomic.Int32
	blocked    atomic.Int32 // workers in the handler's sleep
	wg         sync.WaitGroup
	quit       chan struct{}
	closeOnce  sync.Once
}

// newWorkers returns a pool of at most running workers running jobs and most
// in all (at least max), thread workers when lock is set, with a queue
// of queueLen jobs, whose workers apply src's work and exit once idle for
// keepAlive.
func newWorkers(running, most, queueLen int, lock bool, keepAlive time.Duration, src *work.Source) *workers {
	return &workers{
		jobs:      make(chan job, queueLen),
		max:       int32(running),
		most:      int32(max(most, running)),
		lock:      lock,
		keepAlive: keepAlive,
		src:       src,
		freed:     func() {},
		quit:      make(chan struct{}),
	}
}

// push queues j and reports whether it fitted; it never blocks. It starts
// a worker when none is idle and the pool is below its bound.
func (p *workers) push(j job) bool {
	select {
	case p.jobs <- j:
	default:
		return false
	}
	if p.idle.Load() == 0 {
		p.grow()
	}
	return true
}

// full reports whether a pool of n live workers may start no other: max
// of them are not blocked in a sleep, or most are alive.
func (p *workers) full(n int32) bool {
	return n-p.blocked.Load() >= p.max || n >= p.most
}

// grow starts a worker if the pool is below its bounds.
func (p *workers) grow() {
	for {
		n := p.live.Load()
		if p.full(n) {
			return
		}
		if p.live.CompareAndSwap(n, n+1) {
			cpu := -1
			if p.lock && len(p.cpus) > 0 {
				cpu = p.cpus[int(p.born.Add(1)-1)%len(p.cpus)]
			}
			p.wg.Add(1)
			go p.work(cpu)
			return
		}
	}
}

// alive returns how many workers, and so thread workers' OS threads, the
// pool holds now.
func (p *workers) alive() int { return int(p.live.Load()) }

// sleeping is told by a worker's Runner that the worker starts (true) or
// ends (false) a sleep of the handler's work. A worker going to sleep
// with jobs queued and no worker idle starts one in its place.
func (p *workers) sleeping(start bool) {
	if !start {
		p.blocked.Add(-1)
		return
	}
	p.blocked.Add(1)
	if len(p.jobs) > 0 && p.idle.Load() == 0 {
		p.grow()
	}
}

// work is a worker's life: take jobs until the pool closes or none comes
// for keepAlive. A thread worker is pinned to cpu unless it is -1.
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
	idle := time.NewTimer(p.keepAlive)
	defer idle.Stop()
	for {
		p.idle.Add(1)
		select {
		case j := <-p.jobs:
			p.idle.Add(-1)
			if p.waiting.Load() > 0 {
				p.freed()
			}
			j.run(&r)
			idle.Reset(p.keepAlive)
		case <-idle.C:
			p.idle.Add(-1)
			if p.retire() {
				return
			}
			idle.Reset(p.keepAlive)
		case <-p.quit:
			p.idle.Add(-1)
			p.live.Add(-1)
			return
		}
	}
}

// retire lets an idle worker go and reports true, unless a job arrived as
// it gave up: a push that saw it idle started no other worker, so it
// stays if it can take its place back within the bound.
func (p *workers) retire() bool {
	p.live.Add(-1)
	if len(p.jobs) == 0 {
		return true
	}
	for {
		n := p.live.Load()
		if p.full(n) {
			return true // another worker took the place and the job
		}
		if p.live.CompareAndSwap(n, n+1) {
			return false
		}
	}
}

// close stops the workers once their current jobs are done, waits for
// them, and drops the jobs still queued. The loops must have stopped, so
// that nothing is pushed any more.
func (p *workers) close() {
	p.closeOnce.Do(func() {
		close(p.quit)
		p.wg.Wait()
		for {
			select {
			case j := <-p.jobs:
				j.drop()
			default:
				return
			}
		}
	})
}
