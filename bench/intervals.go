package bench

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: latencies are recorded in nanoseconds from 1ns to a
// minute with three significant digits. Every histogram of a run, and so
// every interval of an HdrHistogram log the run writes, has these
// settings; Merge needs them equal.
const (
	histMin     = 1
	histMax     = 60_000_000_000
	histSigFigs = 3
)

// newHist returns an empty latency histogram.
func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histSigFigs) }

// Interval is the latency of one slice of a measurement (Config.Interval).
type Interval struct {
	// Index counts the intervals of a run from 0.
	Index int
	// Start and End bound the interval on the wall clock.
	Start, End time.Time
	// Latency holds the round trips that ended in the interval, in
	// nanoseconds, merged over the workers. It belongs to the callee.
	Latency *hdrhistogram.Histogram
}

// intervals gathers the workers' interval histograms and merges interval
// k as soon as every worker has handed its part over. put never waits for
// the merging, so a slow consumer cannot stall the load. Each worker hands
// over its intervals in order from index 0, one histogram each, and its
// last one when it stops; a worker that stops early (Count mode) counts as
// empty for the intervals after its last.
type intervals struct {
	origin time.Time
	length time.Duration
	emit   func(Interval)

	// mu guards queues and end, which ending sets.
	mu     sync.Mutex
	queues [][]*hdrhistogram.Histogram
	end    time.Time
	wake   chan struct{}

	done    chan struct{}
	stopped chan struct{}
	next    int
	total   *hdrhistogram.Histogram
}

// newIntervals prepares to merge the intervals of workers workers, the
// first beginning at origin, each length long (0: the whole measurement
// is one interval). With emit set, merged intervals are handed to it from
// a goroutine of their own as they complete; finish must be called.
func newIntervals(workers int, origin time.Time, length time.Duration, emit func(Interval)) *intervals {
	iv := &intervals{
		origin:  origin,
		length:  length,
		emit:    emit,
		queues:  make([][]*hdrhistogram.Histogram, workers),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		total:   newHist(),
	}
	if emit != nil && length > 0 {
		go iv.run()
	} else {
		close(iv.stopped)
	}
	return iv
}

// put hands over worker k's next interval.
func (iv *intervals) put(k int, h *hdrhistogram.Histogram) {
	iv.mu.Lock()
	iv.queues[k] = append(iv.queues[k], h)
	iv.mu.Unlock()
	select {
	case iv.wake <- struct{}{}:
	default:
	}
}

// run merges intervals as every worker completes them, until finish.
func (iv *intervals) run() {
	defer close(iv.stopped)
	for {
		select {
		case <-iv.wake:
			iv.drain(false)
		case <-iv.done:
			return
		}
	}
}

// ending tells iv that the measurement ended at end, which the last
// interval's end must not pass. Call it before the workers hand over
// their last intervals.
func (iv *intervals) ending(end time.Time) {
	iv.mu.Lock()
	iv.end = end
	iv.mu.Unlock()
}

// finish merges what is left once every worker has handed over its last
// interval and returns the whole measurement's histogram.
func (iv *intervals) finish() *hdrhistogram.Histogram {
	close(iv.done)
	<-iv.stopped
	iv.drain(true)
	return iv.total
}

// drain merges and emits the intervals every worker has completed, or
// with all set every interval left, counting a worker with nothing left
// as empty.
func (iv *intervals) drain(all bool) {
	for {
		parts, ok := iv.pop(all)
		if !ok {
			return
		}
		m := newHist()
		for _, h := range parts {
			m.Merge(h)
		}
		iv.total.Merge(m)
		if iv.emit != nil {
			iv.emit(iv.interval(m))
		}
		iv.next++
	}
}

// pop takes the oldest interval of every worker: only when every worker
// has one, or with all set whenever any has.
func (iv *intervals) pop(all bool) ([]*hdrhistogram.Histogram, bool) {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	var parts []*hdrhistogram.Histogram
	for _, q := range iv.queues {
		if len(q) == 0 && !all {
			return nil, false
		}
		if len(q) > 0 {
			parts = append(parts, q[0])
		}
	}
	if len(parts) == 0 {
		return nil, false
	}
	for k, q := range iv.queues {
		if len(q) > 0 {
			iv.queues[k] = q[1:]
		}
	}
	return parts, true
}

// interval stamps merged histogram m as interval iv.next, which ends no
// later than the measurement.
func (iv *intervals) interval(m *hdrhistogram.Histogram) Interval {
	iv.mu.Lock()
	last := iv.end
	iv.mu.Unlock()
	start := iv.origin.Add(time.Duration(iv.next) * iv.length)
	end := start.Add(iv.length)
	if iv.length == 0 || (!last.IsZero() && end.After(last)) {
		end = last
	}
	return Interval{Index: iv.next, Start: start, End: end, Latency: m}
}
