package stat_test

import (
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/stat"
)

// TestSnapshot checks that each counter feeds its own field of
// engine.Stats, and the fields derived from it, and no other.
func TestSnapshot(t *testing.T) {
	tests := []struct {
		name string
		add  func(c *stat.Counters)
		want engine.Stats
	}{
		{name: "accepted", add: func(c *stat.Counters) { c.Accepted.Add(1) }, want: engine.Stats{Accepted: 1}},
		{name: "active", add: func(c *stat.Counters) { c.Active.Add(-2) }, want: engine.Stats{Active: -2}},
		{name: "frames", add: func(c *stat.Counters) { c.Frames.Add(3) }, want: engine.Stats{Frames: 3, FramesIn: 3}},
		{name: "bytes in", add: func(c *stat.Counters) { c.BytesIn.Add(4) }, want: engine.Stats{BytesIn: 4}},
		{name: "bytes out", add: func(c *stat.Counters) { c.BytesOut.Add(5) }, want: engine.Stats{BytesOut: 5}},
		{name: "frame errors", add: func(c *stat.Counters) { c.FrameErrors.Add(6) }, want: engine.Stats{Errors: engine.ErrorStats{Frame: 6}}},
		{name: "truncated", add: func(c *stat.Counters) { c.Truncated.Add(7) }, want: engine.Stats{Errors: engine.ErrorStats{Truncated: 7}}},
		{name: "rate limited", add: func(c *stat.Counters) { c.RateLimited.Add(8) }, want: engine.Stats{Errors: engine.ErrorStats{RateLimited: 8}}},
		{name: "rejected", add: func(c *stat.Counters) { c.Rejected.Add(9) },
			want: engine.Stats{Closed: engine.CloseStats{MaxConns: 9}, Errors: engine.ErrorStats{Rejected: 9}}},
		{name: "idle", add: func(c *stat.Counters) { c.Idle.Add(10) }, want: engine.Stats{Errors: engine.ErrorStats{Idle: 10}}},
		{name: "write timeout", add: func(c *stat.Counters) { c.WriteTimeout.Add(11) }, want: engine.Stats{Errors: engine.ErrorStats{WriteTimeout: 11}}},
		{name: "io", add: func(c *stat.Counters) { c.IO.Add(12) }, want: engine.Stats{Errors: engine.ErrorStats{IO: 12}}},
		{name: "accept", add: func(c *stat.Counters) { c.Accept.Add(13) }, want: engine.Stats{Errors: engine.ErrorStats{Accept: 13}}},
		{name: "backpressure", add: func(c *stat.Counters) { c.Backpressure.Add(14) }, want: engine.Stats{Errors: engine.ErrorStats{Backpressure: 14}}},
		{name: "emfile", add: func(c *stat.Counters) { c.EMFILE.Add(15) }, want: engine.Stats{Errors: engine.ErrorStats{EMFILE: 15}}},
		{name: "budget errors", add: func(c *stat.Counters) { c.BudgetErrors.Add(16) }, want: engine.Stats{Errors: engine.ErrorStats{Budget: 16}}},
		{name: "unechoed", add: func(c *stat.Counters) { c.Unechoed.Add(17) }, want: engine.Stats{FramesIn: 17, Errors: engine.ErrorStats{Unechoed: 17}}},
		{name: "resumed", add: func(c *stat.Counters) { c.Resumed.Add(18) }, want: engine.Stats{Resumed: 18}},
		{name: "budget waits", add: func(c *stat.Counters) { c.BudgetWaits.Add(19) }, want: engine.Stats{BudgetWaits: 19}},
		{name: "budget grants", add: func(c *stat.Counters) { c.BudgetGrants.Add(20) }, want: engine.Stats{BudgetGrants: 20}},
		{name: "output queued", add: func(c *stat.Counters) { c.OutputQueued.Add(21) }, want: engine.Stats{OutputQueued: 21}},
	}
	for _, tt := range tests {
		var c stat.Counters
		tt.add(&c)
		if got := c.Snapshot(); got != tt.want {
			t.Errorf("%s: Snapshot = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestClose checks that each reason feeds its own CloseStats field and
// that lifetimes land in the bucket whose bound they do not exceed.
func TestClose(t *testing.T) {
	tests := []struct {
		name   string
		why    stat.Reason
		lived  time.Duration
		closed engine.CloseStats
		bucket int
	}{
		{name: "peer, instant", why: stat.Peer, lived: 0, closed: engine.CloseStats{Peer: 1}, bucket: 0},
		{name: "shutdown, 1ms", why: stat.Shutdown, lived: time.Millisecond, closed: engine.CloseStats{Shutdown: 1}, bucket: 0},
		{name: "idle, just over 1ms", why: stat.Idle, lived: time.Millisecond + 1, closed: engine.CloseStats{Idle: 1}, bucket: 1},
		{name: "write timeout, 2s", why: stat.WriteTimeout, lived: 2 * time.Second, closed: engine.CloseStats{WriteTimeout: 1}, bucket: 4},
		{name: "io, 1h", why: stat.IO, lived: time.Hour, closed: engine.CloseStats{IO: 1}, bucket: len(engine.LifetimeBuckets) - 1},
		{name: "frame, a day", why: stat.Frame, lived: 24 * time.Hour, closed: engine.CloseStats{Frame: 1}, bucket: len(engine.LifetimeBuckets)},
		{name: "budget, 30s", why: stat.Budget, lived: 30 * time.Second, closed: engine.CloseStats{Budget: 1}, bucket: 5},
	}
	for _, tt := range tests {
		var c stat.Counters
		c.Close(tt.why, tt.lived)
		s := c.Snapshot()
		if s.Closed != tt.closed || s.Closed.Total() != 1 {
			t.Errorf("%s: Closed = %+v, want %+v", tt.name, s.Closed, tt.closed)
		}
		var want engine.Lifetime
		want.Buckets[tt.bucket] = 1
		want.Sum = tt.lived
		if s.Lifetime != want || s.Lifetime.Count() != 1 {
			t.Errorf("%s: Lifetime = %+v, want %+v", tt.name, s.Lifetime, want)
		}
	}
}

// TestSnapshotUDP checks that a UDP snapshot counts every datagram once,
// whatever its end.
func TestSnapshotUDP(t *testing.T) {
	var c stat.Counters
	c.Frames.Add(1)
	c.Unechoed.Add(2)
	c.Truncated.Add(4)
	c.RateLimited.Add(8)
	c.FrameErrors.Add(16)
	if got := c.SnapshotUDP().Datagrams; got != 31 {
		t.Errorf("Datagrams = %d, want 31", got)
	}
	if got := c.Snapshot().Datagrams; got != 0 {
		t.Errorf("TCP snapshot Datagrams = %d, want 0", got)
	}
}
