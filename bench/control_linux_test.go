package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestControlOutcome(t *testing.T) {
	lost := fmt.Errorf("%w: connection 1 closed by the server", ErrLost)
	mismatch := fmt.Errorf("%w: connection 2", ErrMismatch)
	tests := []struct {
		name string
		// fails are the errors passed to fail, in order.
		fails []error
		// reports are the workers' errors in the order Run receives them.
		reports   []error
		want      error
		wantAbort bool
	}{
		{name: "every worker finished", reports: []error{nil, nil}},
		{name: "the failing worker reports first", fails: []error{lost}, reports: []error{lost, errAborted}, want: lost, wantAbort: true},
		// The race behind a flaky TestRunServerClosesConnection: the
		// aborted worker's report overtakes the failing worker's.
		{name: "an aborted worker reports first", fails: []error{lost}, reports: []error{errAborted, errAborted, lost}, want: lost, wantAbort: true},
		{name: "the first cause wins over a later one", fails: []error{lost, mismatch}, reports: []error{mismatch, lost}, want: lost, wantAbort: true},
		{name: "the context ended the run", fails: []error{context.Canceled}, reports: []error{errAborted, errAborted}, want: context.Canceled, wantAbort: true},
		{name: "the context ended after every worker finished", fails: []error{context.Canceled}, reports: []error{nil, nil}, wantAbort: true},
		{name: "nil is no cause", fails: []error{nil}, reports: []error{nil}},
		{name: "a report with no recorded cause", reports: []error{nil, mismatch}, want: mismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctl := newControl(clock{epoch: time.Now()})
			for _, err := range tt.fails {
				ctl.fail(err)
			}
			if got := ctl.outcome(tt.reports); got != tt.want {
				t.Errorf("outcome(%v) = %v, want %v", tt.reports, got, tt.want)
			}
			closed := false
			select {
			case <-ctl.abortCh:
				closed = true
			default:
			}
			if ctl.abort.Load() != tt.wantAbort || closed != tt.wantAbort {
				t.Errorf("abort flag %v, abort channel closed %v; want both %v", ctl.abort.Load(), closed, tt.wantAbort)
			}
		})
	}
}

func TestControlFailConcurrently(t *testing.T) {
	ctl := newControl(clock{epoch: time.Now()})
	errs := make([]error, 16)
	for i := range errs {
		errs[i] = fmt.Errorf("worker %d failed", i)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, err := range errs {
		wg.Go(func() {
			<-start
			ctl.fail(err)
		})
	}
	close(start)
	wg.Wait()
	<-ctl.abortCh
	got := ctl.outcome([]error{errAborted})
	if !slices.Contains(errs, got) || !ctl.abort.Load() {
		t.Fatalf("outcome %v, abort %v: want one of the workers' errors and the abort flag", got, ctl.abort.Load())
	}
	for range 3 {
		ctl.fail(errors.New("later"))
		if again := ctl.outcome([]error{errAborted}); again != got {
			t.Fatalf("a later failure replaced the cause: %v, was %v", again, got)
		}
	}
}
