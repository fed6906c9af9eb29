package threads

import (
	"runtime"
	"sync"
	"time"

	"github.com/rawnet/rawnet/internal/cpuset"
)

// pool is a bounded set of workers, each locked to its own OS thread. A
// slot is taken before a connection is accepted and given back when its
// worker is idle again, so at most cap(slots) connections are served at
// once and the rest wait in the listen backlog.
//
// Workers number at most cap(slots): a worker pushes itself onto idle
// before it frees its slot, and a new worker is started only by a holder
// of a slot that found idle empty. A worker left idle for keepAlive takes
// itself off idle and exits, and its OS thread with it, so a burst of
// connections does not leave its threads behind for the server's life.
type pool struct {
	slots     chan struct{}
	serve     func(fd int)
	keepAlive time.Duration
	cpus      []int // Config.CPUAffinity: worker threads pinned in turn

	mu     sync.Mutex
	idle   []*worker
	live   int // workers started and not yet exited
	born   int // workers ever started, to pick each one's CPU
	closed bool
	wg     sync.WaitGroup
}

// worker receives the next fd to serve; the channel is closed to stop it.
type worker struct {
	fds chan int
}

// newPool returns a pool of at most threads workers serving with serve,
// each exiting once idle for keepAlive, and each pinned to the next of
// cpus in turn when cpus is not empty.
func newPool(threads int, keepAlive time.Duration, cpus []int, serve func(fd int)) *pool {
	return &pool{slots: make(chan struct{}, threads), serve: serve, keepAlive: keepAlive, cpus: cpus}
}

// workers returns how many workers, and so OS threads, the pool holds now.
func (p *pool) workers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live
}

// acquire takes a slot, waiting until a worker is free. It returns false
// if quit is closed first.
func (p *pool) acquire(quit <-chan struct{}) bool {
	select {
	case p.slots <- struct{}{}:
		return true
	case <-quit:
		return false
	}
}

// release gives back a slot taken by acquire that no worker used.
func (p *pool) release() { <-p.slots }

// dispatch hands fd to an idle worker, or starts a new one. The caller
// holds a slot, which passes to the worker.
func (p *pool) dispatch(fd int) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.fds <- fd // buffered: never blocks
		return
	}
	p.wg.Add(1)
	p.live++
	cpu := -1
	if len(p.cpus) > 0 {
		cpu = p.cpus[p.born%len(p.cpus)]
	}
	p.born++
	p.mu.Unlock()
	go p.run(&worker{fds: make(chan int, 1)}, fd, cpu)
}

// run is a worker's life: serve fd, go idle, serve the next one, until
// the pool closes or the worker idles past keepAlive.
func (p *pool) run(w *worker, fd int, cpu int) {
	// Never unlocked: the thread belongs to this worker for its whole
	// life and exits with it (runtime.LockOSThread: a goroutine that
	// returns while locked takes its thread down), so a connection being
	// served really costs a thread, and an idle worker that exits gives
	// its thread back to the system.
	runtime.LockOSThread()
	defer p.wg.Done()
	if cpu >= 0 {
		// The CPUs were checked when the server started; a failure
		// here leaves the worker unpinned rather than the peer unserved.
		_ = cpuset.Pin(cpu)
	}
	idle := time.NewTimer(p.keepAlive)
	defer idle.Stop()
	for {
		p.serve(fd)
		p.mu.Lock()
		if p.closed {
			p.live--
			p.mu.Unlock()
			p.release()
			return
		}
		p.idle = append(p.idle, w)
		p.mu.Unlock()
		p.release()
		idle.Reset(p.keepAlive)
		var ok bool
		select {
		case fd, ok = <-w.fds:
		case <-idle.C:
			if p.retire(w) {
				return
			}
			// dispatch took w off idle before retire could: its fd
			// is on the way.
			fd, ok = <-w.fds
		}
		if !ok {
			return
		}
	}
}

// retire takes w off idle so it can exit, and reports false if w is no
// longer idle because dispatch or close has just taken it.
func (p *pool) retire(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.idle {
		if x == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			p.live--
			return true
		}
	}
	return false
}

// close stops idle workers and waits for every worker to return. The
// caller must have stopped dispatching and made busy workers finish.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	for _, w := range p.idle {
		close(w.fds)
		p.live--
	}
	p.idle = nil
	p.mu.Unlock()
	p.wg.Wait()
}
