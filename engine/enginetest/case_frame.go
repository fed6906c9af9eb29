package enginetest

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
)

// frameTimeout is the idle timeout of the frame timeout case: long enough
// that a frame sent in pieces a quarter of it apart completes in time on
// a loaded machine.
const frameTimeout = 400 * time.Millisecond

// frameTimeoutCase checks that IdleTimeout also bounds a frame in
// progress: a peer that sends a byte of a line every quarter of the
// timeout and never ends it (slowloris) is closed and counted as idle,
// while a peer whose lines each arrive in pieces over less than the
// timeout is served all along.
func frameTimeoutCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{Frame: frame.Spec{Kind: frame.KindLine}, IdleTimeout: frameTimeout})
	trickler := dial(t, srv)
	pieces := dial(t, srv)
	closed := make(chan error, 1)
	go func() {
		_, err := readToClose(trickler, patience)
		closed <- err
	}()
	tick := time.NewTicker(frameTimeout / 4)
	defer tick.Stop()
	began := time.Now()
	var rerr error
	for line := 0; ; line++ {
		select {
		case rerr = <-closed:
		default:
		}
		if rerr != nil && time.Since(began) >= 3*frameTimeout {
			break
		}
		if time.Since(began) > patience {
			t.Fatalf("after %v the trickling connection is still open", patience)
		}
		if rerr == nil {
			trickler.SetWriteDeadline(time.Now().Add(patience))
			trickler.Write([]byte{'x'}) // fails once the server has closed it
		}
		// A line in two pieces, a tick apart: each completes well
		// within the timeout.
		msg := []byte("piece " + string(rune('a'+line%26)) + "\n")
		pieces.SetWriteDeadline(time.Now().Add(patience))
		if _, err := pieces.Write(msg[:3]); err != nil {
			t.Fatalf("line %d, first piece: %v", line, err)
		}
		<-tick.C
		if _, err := pieces.Write(msg[3:]); err != nil {
			t.Fatalf("line %d, second piece: %v", line, err)
		}
		if err := expect(pieces, msg); err != nil {
			t.Fatalf("line %d sent in pieces %v apart, after %v: %v", line, frameTimeout/4, time.Since(began), err)
		}
	}
	if !isClosed(rerr) {
		t.Errorf("connection trickling a line it never ends: want it closed by the server, got %v", rerr)
	}
	waitStats(t, srv, "Errors.Idle not counted for the trickling connection", func(s engine.Stats) bool { return s.Errors.Idle >= 1 })
}

// Input budget case shape: the frame limit, which is also the budget, so
// that one connection's reservation leaves too little for a second.
const (
	budgetMax     = 256 << 10
	budgetPayload = 200 << 10
	budgetPartial = 150 << 10
)

// inputBudgetCase checks the server-wide input budget: while one
// connection holds a reservation for its large frame in progress,
// another connection's large frame is not read (its echo does not come),
// small frames on a third are served, and once the first frame completes
// and gives its reservation back the waiting frame is echoed whole.
func inputBudgetCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{
		Frame:       frame.Spec{Kind: frame.KindLength, LengthBytes: 4, Max: budgetMax},
		InputBudget: budgetMax,
	})
	holder, waiter, small := dial(t, srv), dial(t, srv), dial(t, srv)
	held := lengthFrame(budgetPayload, 1)
	holder.SetWriteDeadline(time.Now().Add(patience))
	if _, err := holder.Write(held[:budgetPartial]); err != nil {
		t.Fatalf("first part of the holder's frame: %v", err)
	}
	// Reading past engine.UnbudgetedInput takes a reservation.
	if !waitStats(t, srv, "the first part of a large frame was not read", func(s engine.Stats) bool {
		return s.BytesIn >= budgetPartial
	}) {
		return
	}
	wait := lengthFrame(budgetPayload, 2)
	wrote := make(chan error, 1)
	go func() {
		waiter.SetWriteDeadline(time.Now().Add(patience))
		_, err := waiter.Write(wait)
		wrote <- err
	}()
	waiter.SetReadDeadline(time.Now().Add(quiet))
	if n, err := waiter.Read(make([]byte, 1)); !isTimeout(err) {
		t.Errorf("a second large frame while the budget is held: read %d bytes (%v), want nothing echoed", n, err)
		return
	}
	if st := srv.Stats(); !st.Unknown.Has(engine.UnknownInputBudget) && st.InputBudgetUsed <= 0 {
		t.Errorf("a large frame holds the input budget, but InputBudgetUsed = %d", st.InputBudgetUsed)
	}
	if err := echo(small, lengthFrame(16, 3)); err != nil {
		t.Errorf("a small frame while the budget is held: %v", err)
	}
	if _, err := holder.Write(held[budgetPartial:]); err != nil {
		t.Fatalf("completing the holder's frame: %v", err)
	}
	if err := expect(holder, held); err != nil {
		t.Errorf("the holder's frame: %v", err)
	}
	if err := expect(waiter, wait); err != nil {
		t.Errorf("the waiting frame once the budget was given back: %v", err)
	}
	if err := <-wrote; err != nil {
		t.Errorf("sending the waiting frame: %v", err)
	}
	if srv.Stats().Unknown.Has(engine.UnknownInputBudget) {
		return
	}
	waitStats(t, srv, "the wait for input budget not counted, or budget still in use", func(s engine.Stats) bool {
		return s.BudgetWaits >= 1 && s.BudgetGrants == s.BudgetWaits && s.InputBudget == budgetMax && s.InputBudgetUsed == 0
	})
}

// budgetTimeout is the idle timeout of the input budget timeout case:
// long enough that the steps before the wait take a fraction of it on a
// loaded machine.
const budgetTimeout = time.Second

// inputBudgetTimeoutCase checks that a connection whose large frame times
// out while it waits for input budget is closed and counted as turned
// away by the budget (Closed.Budget, Errors.Budget), and as idle. The
// waiter's frame begins first, so it runs out of time before the holder's
// and while the holder still holds the budget.
func inputBudgetTimeoutCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{
		Frame:       frame.Spec{Kind: frame.KindLength, LengthBytes: 4, Max: budgetMax},
		InputBudget: budgetMax,
		IdleTimeout: budgetTimeout,
	})
	if srv.Stats().Unknown.Has(engine.UnknownInputBudget) {
		return // no input budget to wait for (ENGINES.md)
	}
	waiter, holder := dial(t, srv), dial(t, srv)
	wait, held := lengthFrame(budgetPayload, 2), lengthFrame(budgetPayload, 1)
	const small = 8 << 10
	waiter.SetWriteDeadline(time.Now().Add(patience))
	holder.SetWriteDeadline(time.Now().Add(patience))
	if _, err := waiter.Write(wait[:small]); err != nil {
		t.Fatalf("the start of the waiter's frame: %v", err)
	}
	if !waitStats(t, srv, "the start of the waiter's frame was not read", func(s engine.Stats) bool { return s.BytesIn >= small }) {
		return
	}
	// The holder's frame begins half a timeout later, so that it still
	// holds the budget when the waiter's frame runs out of time: with
	// deadlines a moment apart, the holder's timeout could hand the
	// budget to the waiter first.
	<-time.After(budgetTimeout / 2)
	if _, err := holder.Write(held[:budgetPartial]); err != nil {
		t.Fatalf("the holder's partial frame: %v", err)
	}
	if !waitStats(t, srv, "the holder's partial frame took no input budget", func(s engine.Stats) bool { return s.InputBudgetUsed > 0 }) {
		return
	}
	if _, err := waiter.Write(wait[small:budgetPartial]); err != nil {
		t.Fatalf("the rest of the waiter's partial frame: %v", err)
	}
	waitStats(t, srv, "the waiter's wait for input budget not counted", func(s engine.Stats) bool { return s.BudgetWaits >= 1 })
	if _, err := readToClose(waiter, patience); !isClosed(err) {
		t.Errorf("a frame that ran out of time waiting for input budget: want its connection closed, got %v", err)
	}
	waitStats(t, srv, "the connection the budget turned away not counted", func(s engine.Stats) bool {
		return s.Closed.Budget == 1 && s.Errors.Budget == 1 && s.Errors.Idle >= 1
	})
}

// lengthFrame returns a 4-byte length frame of n payload bytes filled
// with fill.
func lengthFrame(n int, fill byte) []byte {
	f := bytes.Repeat([]byte{fill}, 4+n)
	binary.BigEndian.PutUint32(f, uint32(n))
	return f
}
