package threads

import (
	"runtime"
	"sync"
)

// pool is a bounded set of workers, each locked to its own OS thread. A
// slot is taken before a connection is accepted and given back when its
// worker is idle again, so at most cap(slots) connections are served at
// once and the rest wait in the listen backlog.
//
// Workers number at most cap(slots): a worker pushes itself onto idle
// before it frees its slot, and a new worker is started only by a holder
// of a slot that found idle empty.
type pool struct {
	slots chan struct{}
	serve func(fd int)

	mu     sync.Mutex
	idle   []*worker
	closed bool
	wg     sync.WaitGroup
}

// worker receives the next fd to serve; the channel is closed to stop it.
type worker struct {
	fds chan int
}

func newPool(threads int, serve func(fd int)) *pool {
	return &pool{slots: make(chan struct{}, threads), serve: serve}
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
	p.mu.Unlock()
	go p.run(&worker{fds: make(chan int, 1)}, fd)
}

// run is a worker's life: serve fd, go idle, serve the next one.
func (p *pool) run(w *worker, fd int) {
	// Never unlocked: the thread belongs to this worker for its whole
	// life and exits with it (runtime.LockOSThread), so a connection
	// being served really costs a thread.
	runtime.LockOSThread()
	defer p.wg.Done()
	for {
		p.serve(fd)
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			p.release()
			return
		}
		p.idle = append(p.idle, w)
		p.mu.Unlock()
		p.release()
		var ok bool
		if fd, ok = <-w.fds; !ok {
			return
		}
	}
}

// close stops idle workers and waits for every worker to return. The
// caller must have stopped dispatching and made busy workers finish.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	for _, w := range p.idle {
		close(w.fds)
	}
	p.idle = nil
	p.mu.Unlock()
	p.wg.Wait()
}
