//go:build linux

package pool

import "github.com/rawnet/rawnet/netpoll"

// A loop never waits for the pool: a job that finds the queue full waits
// in the loop's backlog, and its connection, paused while it has a job,
// is not read meanwhile. A full queue so stops the reading of every
// connection that has frames to hand on, one job each, and the memory
// the loops hold for the pool is at most one batch of frames per
// connection.

// enqueue hands t to the pool, or to ls's backlog behind the jobs already
// waiting there. It runs on the loop.
func (s *server) enqueue(ls *loopState, l *netpoll.Loop, t *tcpTask) {
	if len(ls.backlog) == 0 && s.pool.push(t) {
		return
	}
	ls.backlog = append(ls.backlog, t)
	ls.backlogged.Add(1)
	if !ls.waiting.Load() {
		ls.loop = l
		ls.waiting.Store(true)
		s.pool.waiting.Add(1)
	}
	// Registered first, then tried again: if the queue drained before
	// the registration, the try finds room; if not, a job is still
	// queued and the worker that takes it will see the registration.
	s.flushBacklog(ls)
}

// flushBacklog moves ls's backlog into the pool's queue, oldest first, as
// far as there is room, dropping the jobs of connections that closed
// meanwhile. It runs on the loop: from enqueue, or submitted by a worker
// that made room (kick).
func (s *server) flushBacklog(ls *loopState) {
	ls.kicked.Store(false)
	n := 0
	for ; n < len(ls.backlog); n++ {
		t := ls.backlog[n]
		if t.cn.closed {
			t.drop()
			continue
		}
		if !s.pool.push(t) {
			break
		}
	}
	if n == 0 {
		return
	}
	rest := copy(ls.backlog, ls.backlog[n:])
	clear(ls.backlog[rest:])
	ls.backlog = ls.backlog[:rest]
	if rest == 0 && ls.waiting.Load() {
		ls.waiting.Store(false)
		s.pool.waiting.Add(-1)
	}
}

// kick submits a flush to every loop with a backlog that has none
// submitted yet. Workers call it when they take a job while some loop
// waits for room.
func (s *server) kick() {
	for i := range s.loops {
		ls := &s.loops[i]
		if ls.waiting.Load() && ls.kicked.CompareAndSwap(false, true) {
			if err := ls.loop.Submit(ls.flush); err != nil {
				// The loop has stopped; its connections are closed
				// and the backlog goes with the pool.
				ls.kicked.Store(false)
			}
		}
	}
}
