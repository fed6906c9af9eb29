package work

import (
	"math"
	"testing"
	"time"
)

// mustParse parses a spec the test knows to be good.
func mustParse(t testing.TB, s string) Spec {
	t.Helper()
	sp, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return sp
}

// binomialBounds returns the counts within sigmas standard deviations of
// the mean of n draws of probability p.
func binomialBounds(n int, p, sigmas float64) (lo, hi int) {
	mean := float64(n) * p
	sd := math.Sqrt(float64(n) * p * (1 - p))
	return int(math.Floor(mean - sigmas*sd)), int(math.Ceil(mean + sigmas*sd))
}

func TestZeroWork(t *testing.T) {
	for _, src := range []*Source{nil, NewSource(Spec{}, 1, Park)} {
		r := src.Next()
		if r.On() {
			t.Fatal("the Runner of no work is on")
		}
		if cpu, sleep := r.Draw(10); cpu != 0 || sleep != 0 {
			t.Errorf("Draw(10) = %v, %v; want nothing", cpu, sleep)
		}
		if n := testing.AllocsPerRun(100, func() { r.Frames(16) }); n != 0 {
			t.Errorf("Frames with no work allocates %v times", n)
		}
	}
}

// TestShare checks that a term with a share applies to that share of the
// frames, within 6 standard deviations of the binomial mean (a seeded
// run that falls outside fails every time, never by chance).
func TestShare(t *testing.T) {
	const frames = 200_000
	for _, pct := range []float64{0.1, 1, 10, 50, 99} {
		sp := Spec{terms: []Term{{Kind: Sleep, Duration: time.Millisecond, Percent: pct}}}
		r := NewSource(sp, 42, Park).Next()
		slept := 0
		for range frames {
			if _, s := r.Draw(1); s > 0 {
				slept++
			}
		}
		lo, hi := binomialBounds(frames, pct/100, 6)
		if slept < lo || slept > hi {
			t.Errorf("@%v%%: %d of %d frames drew the term, want %d to %d", pct, slept, frames, lo, hi)
		}
	}
}

// TestRepeatable checks that Runners of the same seed and order draw the
// same frames however the frames are batched, and that different seeds
// and different Runners of one Source draw differently.
func TestRepeatable(t *testing.T) {
	sp := mustParse(t, "sleep:1ms@30%")
	draws := func(seed uint64, nth, batch int) []time.Duration {
		src := NewSource(sp, seed, Park)
		r := src.Next()
		for range nth {
			r = src.Next()
		}
		var out []time.Duration
		for range 1000 / batch {
			_, s := r.Draw(batch)
			out = append(out, s)
		}
		return out
	}
	sum := func(d []time.Duration, group int) []time.Duration {
		var out []time.Duration
		for i := 0; i < len(d); i += group {
			var s time.Duration
			for _, x := range d[i : i+group] {
				s += x
			}
			out = append(out, s)
		}
		return out
	}
	a, b := draws(7, 0, 1), draws(7, 0, 1)
	if !equal(a, b) {
		t.Fatal("two Runners of the same seed drew differently")
	}
	if !equal(sum(a, 5), draws(7, 0, 5)) {
		t.Error("draws in batches of 5 differ from the same draws one by one")
	}
	if equal(a, draws(8, 0, 1)) {
		t.Error("seeds 7 and 8 drew the same frames")
	}
	if equal(a, draws(7, 1, 1)) {
		t.Error("the first and second Runner of a Source drew the same frames")
	}
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSleep checks that sleep work is observed: every frame drawn to
// sleep takes at least its sleep in wall time, in both modes, and a
// batch sleeps for the sum of its frames.
func TestSleep(t *testing.T) {
	for _, mode := range []SleepMode{Park, BlockThread} {
		r := NewSource(mustParse(t, "sleep:2ms"), 1, mode).Next()
		for _, n := range []int{1, 1, 3} {
			start := time.Now()
			r.Frames(n)
			if took, want := time.Since(start), time.Duration(n)*2*time.Millisecond; took < want {
				t.Errorf("mode %d: %d frames of sleep:2ms took %v, want at least %v", mode, n, took, want)
			}
		}
	}
}

// TestSleepShare applies sleep:1ms@10% for real to frames one at a time
// and counts the frames that took at least 1 ms: they must be the drawn
// share, within the binomial bounds. A frame that was not drawn takes
// microseconds, so even a busy machine does not push it over.
func TestSleepShare(t *testing.T) {
	const frames = 1000
	for _, mode := range []SleepMode{Park, BlockThread} {
		r := NewSource(mustParse(t, "sleep:1ms@10%"), 3, mode).Next()
		slept := 0
		for range frames {
			start := time.Now()
			r.Frames(1)
			if time.Since(start) >= time.Millisecond {
				slept++
			}
		}
		lo, hi := binomialBounds(frames, 0.10, 6)
		if slept < lo || slept > hi {
			t.Errorf("mode %d: %d of %d frames slept 1 ms, want %d to %d", mode, slept, frames, lo, hi)
		}
	}
}

// TestNotifySleep checks that a Runner tells its owner about every sleep
// and only about sleeps: before it (the sleep not yet taken) and after
// it (the sleep taken), and never for CPU work or for a frame with no
// sleep drawn.
func TestNotifySleep(t *testing.T) {
	for _, mode := range []SleepMode{Park, BlockThread} {
		r := NewSource(mustParse(t, "cpu:1us,sleep:1ms@50%"), 5, mode).Next()
		var calls []bool
		var start time.Time
		r.NotifySleep(func(sleeping bool) {
			if sleeping {
				start = time.Now()
			} else if took := time.Since(start); took < time.Millisecond {
				t.Errorf("mode %d: told the sleep ended %v after it began, want at least 1ms", mode, took)
			}
			calls = append(calls, sleeping)
		})
		// Draw the same frames on a twin to know how many sleep.
		twin := NewSource(mustParse(t, "cpu:1us,sleep:1ms@50%"), 5, mode).Next()
		want := 0
		for range 40 {
			if _, sleep := twin.Draw(1); sleep > 0 {
				want++
			}
			r.Frames(1)
		}
		if want == 0 || want == 40 || len(calls) != 2*want {
			t.Fatalf("mode %d: %d calls for %d frames that slept, want 2 each", mode, len(calls), want)
		}
		for i, c := range calls {
			if c != (i%2 == 0) {
				t.Fatalf("mode %d: call %d was %v: calls must alternate start, end", mode, i, c)
			}
		}
	}
	r := NewSource(mustParse(t, "cpu:2us"), 1, Park).Next()
	r.NotifySleep(func(bool) { t.Error("CPU work told of a sleep") })
	r.Frames(3)
}
