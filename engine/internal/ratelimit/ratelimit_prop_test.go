package ratelimit_test

import (
	"net/netip"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/ratelimit"
)

// TestLimiterNeverExceedsBurstPlusRate checks the limiter's promise
// for any rate, burst and arrival pattern: over any span, one source gets
// at most burst + rate x span datagrams through.
func TestLimiterNeverExceedsBurstPlusRate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rate := rapid.Float64Range(engine.MinUDPRateLimit, 1e6).Draw(t, "rate")
		burst := rapid.IntRange(1, 1000).Draw(t, "burst")
		l, err := ratelimit.New(rate, burst, 0)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		src := netip.MustParseAddr("192.0.2.55")
		now := time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "start"))
		var times []time.Duration // arrival time of each admitted datagram
		steps := rapid.IntRange(1, 200).Draw(t, "steps")
		for range steps {
			now += time.Duration(rapid.Int64Range(0, int64(10*time.Second)).Draw(t, "gap"))
			for range rapid.IntRange(1, 50).Draw(t, "datagrams") {
				if l.Allow(src, now) {
					times = append(times, now)
				}
			}
		}
		// Every window [times[i], times[j]] is a span the promise covers.
		for i := range times {
			for j := i; j < len(times); j++ {
				span := (times[j] - times[i]).Seconds()
				if n := j - i + 1; float64(n) > float64(burst)+rate*span+1e-9 {
					t.Fatalf("admitted %d in %.9fs at %g/s burst %d: over %g", n, span, rate, burst, float64(burst)+rate*span)
				}
			}
		}
	})
}

func BenchmarkLimiterAllow(b *testing.B) {
	benchmarks := []struct {
		name    string
		sources uint32 // a power of two
	}{
		{name: "one source", sources: 1},
		{name: "1M sources", sources: 1 << 20},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			l := mustLimiter(b, 1000, 1000, 0)
			b.ReportAllocs()
			var i uint32
			for b.Loop() {
				i++
				k := i & (bm.sources - 1)
				l.Allow(netip.AddrFrom4([4]byte{10, byte(k >> 16), byte(k >> 8), byte(k)}), l.Now())
			}
		})
	}
}
