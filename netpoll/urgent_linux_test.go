//go:build linux

package netpoll

import (
	"testing"
	"time"
)

// TestUrgentYieldsEveryRound checks Urgent: while it is held, a loop that
// never sleeps (a task that submits itself again, one per round) passes
// through the scheduler after every round, on each wait mode and
// backend; without it, once a millisecond (a round here takes
// microseconds, so far fewer yields than rounds). A yield is counted when
// it happens, so the count is exact whatever the machine's load.
func TestUrgentYieldsEveryRound(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(t *testing.T) Config
	}{
		{"WaitSyscall", func(*testing.T) Config { return Config{Wait: WaitSyscall} }},
		{"WaitPark", func(*testing.T) Config { return Config{Wait: WaitPark} }},
		{"uring", func(t *testing.T) Config { return uringConfig(t, Config{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg(t)
			cfg.Loops = 1
			s := startServer(t, newTestHandler(), cfg)
			l := s.Loops()[0]
			const rounds = 200
			done := Urgent()
			if got := roundsYielded(t, l, rounds); got < rounds {
				t.Errorf("urgent: %d yields in %d rounds, want one a round", got, rounds)
			}
			done()
			done() // a second call must not release someone else's hold
			if hurried() {
				t.Fatal("loops still hurried after done")
			}
		})
	}
}

// roundsYielded runs a task that submits itself again rounds times on l
// and returns how many times l yielded in between.
func roundsYielded(t *testing.T, l *Loop, rounds int) uint64 {
	t.Helper()
	result := make(chan uint64, 1)
	var n int
	var first uint64
	var step func()
	step = func() {
		if n == 0 {
			first = l.yields
		}
		if n == rounds {
			result <- l.yields - first
			return
		}
		n++
		if err := l.Submit(step); err != nil {
			t.Error(err)
			result <- 0
		}
	}
	if err := l.Submit(step); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-result:
		return got
	case <-time.After(30 * time.Second):
		t.Fatal("the self-submitting task did not finish")
		return 0
	}
}
