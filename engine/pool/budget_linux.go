//go:build linux

package pool

import (
	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/budget"
)

// budget keeps the input the loop holds for cn's frame in progress
// within the server's input budget, as the epoll engine does. rest is
// what OnData left unconsumed. Past engine.UnbudgetedInput, cn reserves
// room for a whole frame of the limit; while that much is not free,
// reading cn pauses and cn waits in the budget's queue, and the idle
// timeout, which under IdleBoundsPartial counts from the frame's start,
// closes it if its frame runs out of time first. Once what is left fits
// under engine.UnbudgetedInput again, the reservation goes back. The
// frames of a large frame's batch are a copy the worker holds, counted
// by the batch's bound (one per connection), not by the budget.
func (h *tcpHandler) budget(cn *conn, rest int) {
	switch {
	case rest <= engine.UnbudgetedInput:
		if cn.held {
			cn.held = false
			h.s.budget.Release(h.reserve)
		}
	case cn.held || cn.wait != nil:
	default:
		w, ok := h.s.budget.ReserveOrWait(h.reserve, func() { h.granted(cn) })
		switch {
		case ok:
			cn.held = true
		case w == nil:
			// Normalize keeps the budget at least one frame of the
			// limit, so this is a request the budget can never grant.
			_ = cn.c.CloseWithError(budget.ErrTooLarge)
		default:
			cn.wait = w
			h.s.loops[cn.c.Loop().Index()].BudgetWaits.Add(1)
			cn.hold(holdBudget)
		}
	}
}

// granted is called, on whichever goroutine gave the bytes back, once
// cn's queued request holds its reservation: it hands cn back to its loop
// to resume reading, or gives the bytes back if cn is gone.
func (h *tcpHandler) granted(cn *conn) {
	err := cn.c.Loop().Submit(func() {
		if cn.closed {
			h.s.budget.Release(h.reserve)
			return
		}
		cn.wait, cn.held = nil, true
		h.s.loops[cn.c.Loop().Index()].BudgetGrants.Add(1)
		cn.unhold(holdBudget)
	})
	if err != nil {
		// The loop has stopped and closed cn.
		h.s.budget.Release(h.reserve)
	}
}

// closeBudget gives back what a closed connection holds, or withdraws
// its request, and reports whether it was waiting for input budget. A
// request granted too late to withdraw is given back by the function
// granted queued on the loop, which runs after this.
func (h *tcpHandler) closeBudget(cn *conn) (waiting bool) {
	switch {
	case cn.held:
		cn.held = false
		h.s.budget.Release(h.reserve)
	case cn.wait != nil:
		cn.wait.Cancel()
		return true
	}
	return false
}
