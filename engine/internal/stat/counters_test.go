package stat_test

import (
	"testing"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/stat"
)

// TestSnapshot checks that each counter feeds its own field of
// engine.Stats and no other.
func TestSnapshot(t *testing.T) {
	tests := []struct {
		name string
		add  func(c *stat.Counters)
		want engine.Stats
	}{
		{name: "accepted", add: func(c *stat.Counters) { c.Accepted.Add(1) }, want: engine.Stats{Accepted: 1}},
		{name: "active", add: func(c *stat.Counters) { c.Active.Add(-2) }, want: engine.Stats{Active: -2}},
		{name: "frames", add: func(c *stat.Counters) { c.Frames.Add(3) }, want: engine.Stats{Frames: 3}},
		{name: "bytes in", add: func(c *stat.Counters) { c.BytesIn.Add(4) }, want: engine.Stats{BytesIn: 4}},
		{name: "bytes out", add: func(c *stat.Counters) { c.BytesOut.Add(5) }, want: engine.Stats{BytesOut: 5}},
		{name: "frame errors", add: func(c *stat.Counters) { c.FrameErrors.Add(6) }, want: engine.Stats{Errors: engine.ErrorStats{Frame: 6}}},
		{name: "truncated", add: func(c *stat.Counters) { c.Truncated.Add(7) }, want: engine.Stats{Errors: engine.ErrorStats{Truncated: 7}}},
		{name: "rate limited", add: func(c *stat.Counters) { c.RateLimited.Add(8) }, want: engine.Stats{Errors: engine.ErrorStats{RateLimited: 8}}},
		{name: "rejected", add: func(c *stat.Counters) { c.Rejected.Add(9) }, want: engine.Stats{Errors: engine.ErrorStats{Rejected: 9}}},
		{name: "idle", add: func(c *stat.Counters) { c.Idle.Add(10) }, want: engine.Stats{Errors: engine.ErrorStats{Idle: 10}}},
		{name: "write timeout", add: func(c *stat.Counters) { c.WriteTimeout.Add(11) }, want: engine.Stats{Errors: engine.ErrorStats{WriteTimeout: 11}}},
		{name: "io", add: func(c *stat.Counters) { c.IO.Add(12) }, want: engine.Stats{Errors: engine.ErrorStats{IO: 12}}},
		{name: "accept", add: func(c *stat.Counters) { c.Accept.Add(13) }, want: engine.Stats{Errors: engine.ErrorStats{Accept: 13}}},
		{name: "backpressure", add: func(c *stat.Counters) { c.Backpressure.Add(14) }, want: engine.Stats{Errors: engine.ErrorStats{Backpressure: 14}}},
	}
	for _, tt := range tests {
		var c stat.Counters
		tt.add(&c)
		if got := c.Snapshot(); got != tt.want {
			t.Errorf("%s: Snapshot = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
