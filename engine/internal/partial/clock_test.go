package partial_test

import (
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine/internal/partial"
)

// read is what one read left: frames completed and partial bytes buffered.
type read struct {
	frames, partial int
}

func TestClock(t *testing.T) {
	const idle = time.Hour
	tests := []struct {
		name  string
		idle  time.Duration
		reads []read
		// wantRestart says whether the last read restarted the clock
		// (false: it kept the deadline of the read before it).
		wantRestart bool
		wantNone    bool // no deadline after the last read
	}{
		{name: "no idle timeout", idle: 0, reads: []read{{0, 5}}, wantNone: true},
		{name: "nothing buffered", idle: idle, reads: []read{{3, 0}}, wantNone: true},
		{name: "a partial frame begins", idle: idle, reads: []read{{0, 5}}, wantRestart: true},
		{name: "a trickle adds to it", idle: idle, reads: []read{{0, 5}, {0, 6}}, wantRestart: false},
		{name: "a frame completes and the next begins", idle: idle, reads: []read{{0, 5}, {1, 2}}, wantRestart: true},
		{name: "the frame completes", idle: idle, reads: []read{{0, 5}, {1, 0}}, wantNone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := partial.NewClock(tt.idle)
			var before, after time.Time
			for i, r := range tt.reads {
				if i == len(tt.reads)-1 {
					before = time.Now()
				}
				c.Framed(r.frames, r.partial)
			}
			after = time.Now()
			got := c.Deadline()
			switch {
			case tt.wantNone:
				if !got.IsZero() {
					t.Fatalf("Deadline = %v, want none", got)
				}
			case got.IsZero():
				t.Fatal("no deadline, want one")
			case tt.wantRestart && (got.Before(before.Add(tt.idle)) || got.After(after.Add(tt.idle))):
				t.Fatalf("Deadline %v not IdleTimeout after the last read (%v..%v)", got, before.Add(tt.idle), after.Add(tt.idle))
			case !tt.wantRestart && got.After(before.Add(tt.idle)):
				t.Fatalf("Deadline %v was renewed by a read that only added to the frame", got)
			}
		})
	}
}
