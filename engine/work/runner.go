package work

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// SleepMode says how sleep work blocks its caller, to match how the
// engine's own blocking calls block.
type SleepMode uint8

// The ways to sleep.
const (
	// Park parks the goroutine (time.Sleep), as a Go database driver's
	// read on the runtime's poller does: the thread and its P go on to
	// run other goroutines at once. For goroutine-per-connection engines
	// and for event loops, which run as goroutines: a sleeping loop
	// serves none of its connections, yet holds no P from the rest of
	// the process.
	Park SleepMode = iota
	// BlockThread blocks the calling thread in a nanosleep(2) system
	// call, as a synchronous read(2) or pread(2) does. For engines whose
	// threads make blocking system calls themselves (the threads engine,
	// the pool's thread workers): their sleep takes the same path as
	// their reads. A time.Sleep on a locked thread would block the
	// thread too, but through the scheduler (the P handed to another
	// thread and back), not the system call path such a thread's
	// database call would take.
	BlockThread
)

// Source hands out the Runners of one server. It is safe for concurrent
// use.
type Source struct {
	spec Spec
	seed uint64
	mode SleepMode
	next atomic.Uint64 // streams handed out so far
}

// NewSource returns a Source of Runners applying spec, seeded from seed,
// that sleep as mode says. When spec burns CPU, NewSource calibrates the
// burn first, once per process (about 2 ms of CPU; burn_linux.go), so
// that no frame waits for it.
func NewSource(spec Spec, seed uint64, mode SleepMode) *Source {
	for _, t := range spec.terms {
		if t.Kind == CPU {
			calibrated()
			break
		}
	}
	return &Source{spec: spec, seed: seed, mode: mode}
}

// Spec returns the work the Source's Runners apply.
func (s *Source) Spec() Spec { return s.spec }

// Next returns a new Runner for one goroutine or thread. Its generator is
// seeded from the Source's seed and how many Runners were handed out
// before it, so the n-th Runner of two Sources with the same seed draws
// the same frames. For no work it returns the zero Runner, which does
// nothing.
func (s *Source) Next() Runner {
	if s == nil || s.spec.IsZero() {
		return Runner{}
	}
	r := Runner{block: s.mode == BlockThread, terms: []term{}}
	r.rng.Seed(mix(s.seed), mix(s.next.Add(1)^0x9e3779b97f4a7c15))
	for _, t := range s.spec.terms {
		switch below := threshold(t.Percent); {
		case below != always:
			r.terms = append(r.terms, term{cpu: t.Kind == CPU, d: t.Duration, below: below})
		case t.Kind == CPU:
			r.cpu += t.Duration
		default:
			r.sleep += t.Duration
		}
	}
	return r
}

// mix is splitmix64's finaliser: it spreads nearby seeds and stream
// numbers over the whole state, so Runners numbered 1, 2, 3 draw
// unrelated sequences.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// term is a Term with a share, ready to draw: it applies to a frame when
// a draw of 64 random bits is under below.
type term struct {
	cpu   bool
	d     time.Duration
	below uint64
}

// always is the threshold of a term without a share, which applies to
// every frame without a draw.
const always = math.MaxUint64

// threshold returns the draw under which a term of pct percent applies.
func threshold(pct float64) uint64 {
	if pct >= 100 {
		return always
	}
	f := math.Ldexp(pct/100, 64)
	if f >= math.Ldexp(1, 64) {
		return always
	}
	return uint64(f)
}

// Runner applies a Spec to the frames of one goroutine or thread, which
// owns it: a Runner is not safe for concurrent use. The zero Runner
// applies no work.
type Runner struct {
	terms      []term        // the terms with a share; nil: no work at all
	cpu, sleep time.Duration // per frame, the terms without a share
	rng        rand.PCG
	block      bool
	burn       burner
	sleeping   func(bool) // NotifySleep's f, or nil
}

// NotifySleep makes r call f(true) before each sleep it applies and
// f(false) after it, on the goroutine or thread that sleeps, so that the
// owner of a pool of workers can let another worker take the place of
// one blocked in the handler's sleep. A Runner that applies no sleep
// never calls it.
func (r *Runner) NotifySleep(f func(sleeping bool)) { r.sleeping = f }

// On reports whether r applies any work.
func (r *Runner) On() bool { return r.terms != nil }

// Frames applies the work of n frames before the caller echoes them:
// the CPU time of every term drawn for them, then their sleeps, added
// up. With no work it returns at once; it is small enough to be inlined,
// so the caller pays one branch.
func (r *Runner) Frames(n int) {
	if r.terms != nil {
		r.frames(n)
	}
}

// frames is Frames with work to do.
func (r *Runner) frames(n int) {
	cpu, sleep := r.Draw(n)
	if cpu > 0 {
		r.burn.burn(cpu)
	}
	if sleep > 0 {
		if r.sleeping != nil {
			r.sleeping(true)
		}
		if r.block {
			blockThread(sleep)
		} else {
			time.Sleep(sleep)
		}
		if r.sleeping != nil {
			r.sleeping(false)
		}
	}
}

// Draw decides the work of the next n frames, drawing each term with a
// share once per frame, and returns the CPU time and the sleep they add
// up to, without applying them. Frames is Draw, then the burn and the
// sleep. Draws go frame by frame, so which frames get a term does not
// depend on how the frames were batched.
func (r *Runner) Draw(n int) (cpu, sleep time.Duration) {
	cpu, sleep = time.Duration(n)*r.cpu, time.Duration(n)*r.sleep
	if len(r.terms) == 0 {
		return cpu, sleep
	}
	for range n {
		for i := range r.terms {
			t := &r.terms[i]
			if r.rng.Uint64() >= t.below {
				continue
			}
			if t.cpu {
				cpu += t.d
			} else {
				sleep += t.d
			}
		}
	}
	return cpu, sleep
}
