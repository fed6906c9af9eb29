// Package budget is the server-wide input budget of the TCP engines: the
// bytes a connection reserves before it buffers a frame in progress
// longer than engine.UnbudgetedInput (engine.Config.InputBudget says why).
// It is internal to package engine and its engines.
package budget

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// ErrTooLarge reports a request for more bytes than the whole budget
// holds, which could never be granted.
var ErrTooLarge = errors.New("budget: request exceeds the input budget")

// Reservation returns the bytes a connection reserves from the input
// budget once its frame in progress outgrows engine.UnbudgetedInput: room
// for a whole frame of the limit at once. A connection that reserved only
// part of what its frame needs and waited for more could deadlock with
// others doing the same.
func Reservation(frameMax int) int {
	return max(frameMax-engine.UnbudgetedInput, 0)
}

// Budget is a server-wide allowance of bytes that connections reserve
// before buffering a large frame in progress, so that peers that each
// declare a large frame and send it slowly cannot make the server hold
// connections x frame limit. It is safe for concurrent use.
//
// Requests that do not fit wait in one first-come, first-served queue;
// Release hands the bytes it frees to the oldest waiters, so a stream of
// new requests cannot starve an old one. A blocking engine waits with
// Reserve; an event loop, which must not block, uses ReserveOrWait and is
// called back when its bytes are reserved.
type Budget struct {
	mu    sync.Mutex
	size  int
	free  int
	queue []*Wait // oldest first
}

// Wait is a request queued by Budget.ReserveOrWait.
type Wait struct {
	b       *Budget
	n       int
	granted func()
	done    bool // granted or cancelled, under b.mu
}

// New returns a budget of size bytes, all free.
func New(size int) *Budget {
	return &Budget{size: size, free: size}
}

// Size returns the budget's size in bytes.
func (b *Budget) Size() int { return b.size }

// Free returns the bytes neither reserved nor handed to a waiter.
func (b *Budget) Free() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.free
}

// TryReserve reserves n bytes and reports true if they are free and no
// earlier request is waiting; otherwise it reserves nothing. A request
// for more than Size is never granted.
func (b *Budget) TryReserve(n int) bool {
	if n <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.takeLocked(n)
}

// takeLocked reserves n bytes if they are free and nobody waits ahead.
func (b *Budget) takeLocked(n int) bool {
	if len(b.queue) > 0 || n > b.free {
		return false
	}
	b.free -= n
	return true
}

// ReserveOrWait reserves n bytes at once when TryReserve would, and then
// returns (nil, true). Otherwise it queues the request and returns it with
// false: once the n bytes have been reserved for the caller, granted is
// called, exactly once, on the goroutine whose Release or Cancel freed
// them and without the budget's lock held, so it may call the budget
// again but must not block. A request for more than Size is refused:
// (nil, false), with nothing queued.
func (b *Budget) ReserveOrWait(n int, granted func()) (*Wait, bool) {
	if n <= 0 {
		return nil, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.size {
		return nil, false
	}
	if b.takeLocked(n) {
		return nil, true
	}
	w := &Wait{b: b, n: n, granted: granted}
	b.queue = append(b.queue, w)
	return w, false
}

// Cancel withdraws w and reports true if it was still waiting. It reports
// false once w's bytes have been reserved (its granted function has run
// or is about to): the caller then holds them and must Release them.
func (w *Wait) Cancel() bool {
	b := w.b
	b.mu.Lock()
	if w.done {
		b.mu.Unlock()
		return false
	}
	w.done = true
	if i := slices.Index(b.queue, w); i >= 0 {
		b.queue = slices.Delete(b.queue, i, i+1)
	}
	// A large request leaving the head may let smaller ones through.
	ready := b.grantLocked()
	b.mu.Unlock()
	notify(ready)
	return true
}

// Reserve reserves n bytes, waiting in the queue until they are free or
// ctx is done. On error nothing is reserved: ctx.Err(), or ErrTooLarge
// for a request larger than Size.
func (b *Budget) Reserve(ctx context.Context, n int) error {
	ch := make(chan struct{})
	w, ok := b.ReserveOrWait(n, func() { close(ch) })
	switch {
	case ok:
		return nil
	case w == nil:
		return ErrTooLarge
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		if !w.Cancel() {
			// Granted while ctx ended: give the bytes back.
			b.Release(n)
		}
		return ctx.Err()
	}
}

// ReserveUntil is Reserve that also gives up at deadline, unless it is
// zero, with context.DeadlineExceeded: a blocking engine waits at most
// until its frame in progress times out.
func (b *Budget) ReserveUntil(ctx context.Context, n int, deadline time.Time) error {
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	return b.Reserve(ctx, n)
}

// Release gives back n bytes reserved earlier and hands what is then free
// to the oldest waiters that fit, calling their granted functions before
// it returns.
func (b *Budget) Release(n int) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.free += n
	ready := b.grantLocked()
	b.mu.Unlock()
	notify(ready)
}

// grantLocked reserves bytes for the waiters at the head of the queue, in
// order, while they fit, and returns them.
func (b *Budget) grantLocked() []*Wait {
	k := 0
	for k < len(b.queue) && b.queue[k].n <= b.free {
		w := b.queue[k]
		b.free -= w.n
		w.done = true
		k++
	}
	if k == 0 {
		return nil
	}
	ready := slices.Clone(b.queue[:k])
	b.queue = slices.Delete(b.queue, 0, k)
	return ready
}

// notify calls the granted functions of ws in order.
func notify(ws []*Wait) {
	for _, w := range ws {
		w.granted()
	}
}
