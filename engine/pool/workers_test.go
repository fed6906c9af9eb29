package pool

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine/work"
)

// fnJob is a job that runs a function; dropped counts the jobs the pool
// gave up.
type fnJob struct {
	fn      func()
	dropped *atomic.Int32
}

func (j fnJob) run(*work.Runner, outbox) { j.fn() }
func (j fnJob) drop()                    { j.dropped.Add(1) }

// waitAlive waits, up to a generous deadline, until p holds want
// workers. Retirement runs on timers, so the test waits for the state
// rather than for a time.
func waitAlive(t *testing.T, p *workers, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.alive() != want {
		if time.Now().After(deadline) {
			t.Fatalf("pool holds %d workers, want %d", p.alive(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// osThreads counts the process's OS threads.
func osThreads(t *testing.T) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Skipf("cannot count threads: %v", err)
	}
	return len(tasks)
}

// TestWorkersBoundAndKeepAlive fills the pool past its bound with jobs
// that block as the handler's sleep does, telling the pool: no more than
// max workers start, every job runs once, and once idle past the
// keep-alive every worker exits, a thread worker with its OS thread.
func TestWorkersBoundAndKeepAlive(t *testing.T) {
	for _, lock := range []bool{true, false} {
		const max, jobs = 6, 40
		p := newWorkers(max, max, jobs, lock, 20*time.Millisecond, nil)
		release := make(chan struct{})
		var started sync.WaitGroup
		started.Add(max)
		var ran, dropped atomic.Int32
		for i := range jobs {
			j := fnJob{dropped: &dropped, fn: func() {
				if i < max {
					started.Done()
				}
				p.sleeping(true)
				<-release
				p.sleeping(false)
				ran.Add(1)
			}}
			if !p.push(j) {
				t.Fatalf("push %d of %d failed with a queue of %d", i, jobs, jobs)
			}
		}
		started.Wait()
		busy := 0
		if runtime.GOOS == "linux" {
			busy = osThreads(t)
		}
		if got := p.alive(); got != max {
			t.Fatalf("lock %v: %d workers for %d blocked jobs, want the bound %d", lock, got, jobs, max)
		}
		close(release)
		waitAlive(t, p, 0)
		if ran.Load() != jobs || dropped.Load() != 0 {
			t.Fatalf("lock %v: %d jobs ran and %d were dropped, want %d and 0", lock, ran.Load(), dropped.Load(), jobs)
		}
		if lock && runtime.GOOS == "linux" {
			// Other runtime threads may come and go meanwhile, so ask
			// for most, not all, of the workers' threads to be gone.
			if after := osThreads(t); busy-after < max/2 {
				t.Errorf("threads: %d while working, %d after the workers retired; want at least %d fewer", busy, after, max/2)
			}
		}
		p.close()
	}
}

// TestWorkersPushRacesRetirement pushes jobs while workers retire on a
// keep-alive so short that push and retire keep meeting: every job must
// run exactly once, and the pool must stay within its bound.
func TestWorkersPushRacesRetirement(t *testing.T) {
	const jobs, max = 5000, 3
	p := newWorkers(max, max, 8, false, time.Microsecond, nil)
	var ran, dropped, peak atomic.Int32
	for i := 0; i < jobs; {
		j := fnJob{dropped: &dropped, fn: func() {
			ran.Add(1)
			if n := p.live.Load(); n > peak.Load() {
				peak.Store(n)
			}
		}}
		if p.push(j) {
			i++
		} else {
			runtime.Gosched() // the queue is full: let the workers run
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for ran.Load() != jobs && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	waitAlive(t, p, 0)
	p.close()
	if ran.Load() != jobs || dropped.Load() != 0 {
		t.Fatalf("%d of %d jobs ran, %d dropped", ran.Load(), jobs, dropped.Load())
	}
	if peak.Load() > max {
		t.Fatalf("%d workers alive at once, over the bound %d", peak.Load(), max)
	}
}

// TestWorkersCloseDropsQueued closes a pool whose only worker is busy:
// close waits for the job in hand and drops the queued ones.
func TestWorkersCloseDropsQueued(t *testing.T) {
	p := newWorkers(1, 1, 4, false, time.Hour, nil)
	var ran, dropped atomic.Int32
	inHand := make(chan struct{})
	release := make(chan struct{})
	p.push(fnJob{dropped: &dropped, fn: func() { close(inHand); <-release; ran.Add(1) }})
	<-inHand
	for range 3 {
		p.push(fnJob{dropped: &dropped, fn: func() { ran.Add(1) }})
	}
	closed := make(chan struct{})
	go func() { p.close(); close(closed) }()
	close(release)
	<-closed
	if ran.Load()+dropped.Load() != 4 || ran.Load() < 1 {
		t.Fatalf("%d jobs ran and %d were dropped, want the one in hand run and 4 in all", ran.Load(), dropped.Load())
	}
}

// TestWorkersFreed checks that a worker taking a job tells the loops
// waiting for room, and only while one waits.
func TestWorkersFreed(t *testing.T) {
	p := newWorkers(1, 1, 1, false, time.Hour, nil)
	defer p.close()
	var freed atomic.Int32
	p.freed = func() { freed.Add(1) }
	var dropped atomic.Int32
	done := make(chan struct{}, 2)
	p.push(fnJob{dropped: &dropped, fn: func() { done <- struct{}{} }})
	<-done
	if freed.Load() != 0 {
		t.Fatalf("freed called %d times with no loop waiting", freed.Load())
	}
	p.waiting.Add(1)
	p.push(fnJob{dropped: &dropped, fn: func() { done <- struct{}{} }})
	<-done
	if freed.Load() != 1 {
		t.Fatalf("freed called %d times for one job taken while a loop waited, want 1", freed.Load())
	}
}

// sleepJob applies its worker's Runner to one frame, then counts itself
// done.
type sleepJob struct{ done *sync.WaitGroup }

func (j sleepJob) run(r *work.Runner, _ outbox) { r.Frames(1); j.done.Done() }
func (j sleepJob) drop()                        { j.done.Done() }

// TestWorkersStandInForSleepers queues more jobs than the pool runs at
// once, each sleeping in the handler's work: a worker that sleeps makes
// way for another, so every job sleeps at the same time, up to the
// pool's bound in all, and then the pool drains back to nothing.
func TestWorkersStandInForSleepers(t *testing.T) {
	spec, err := work.Parse("sleep:1s")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name        string
		most, jobs  int
		wantBlocked int
	}{
		{name: "every job sleeps at once", most: 64, jobs: 12, wantBlocked: 12},
		{name: "no more than most", most: 5, jobs: 7, wantBlocked: 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []work.SleepMode{work.BlockThread, work.Park} {
				const running = 2
				p := newWorkers(running, tt.most, tt.jobs, mode == work.BlockThread, 50*time.Millisecond, work.NewSource(spec, 1, mode))
				var done sync.WaitGroup
				done.Add(tt.jobs)
				for range tt.jobs {
					if !p.push(sleepJob{&done}) {
						t.Fatal("push failed with room in the queue")
					}
				}
				deadline := time.Now().Add(10 * time.Second)
				for int(p.blocked.Load()) < tt.wantBlocked && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				if got := p.blocked.Load(); int(got) != tt.wantBlocked || p.alive() > tt.most {
					t.Fatalf("mode %d: %d workers asleep, %d alive; want %d asleep and at most %d alive", mode, got, p.alive(), tt.wantBlocked, tt.most)
				}
				done.Wait()
				waitAlive(t, p, 0)
				p.close()
			}
		})
	}
}

// blocker returns a job that reports it started on started and then
// blocks until release is closed, without telling the pool: to the pool
// its worker is busy, not asleep.
func blocker(started chan<- struct{}, release <-chan struct{}, dropped *atomic.Int32) fnJob {
	return fnJob{dropped: dropped, fn: func() { started <- struct{}{}; <-release }}
}

// setProcs sets how many workers p lets run at once outside a sleep.
func setProcs(p *workers, n int32) {
	p.mu.Lock()
	p.procs = n
	p.mu.Unlock()
}

// TestWorkersOneWakeForManyJobs queues many jobs while the pool's one
// awake worker is busy: none of them wakes or starts another worker, and
// the busy worker runs them all once its job is done, so the whole batch
// costs the one wake-up that started it.
func TestWorkersOneWakeForManyJobs(t *testing.T) {
	const jobs = 20
	p := newWorkers(4, 4, jobs+1, false, time.Hour, nil)
	defer p.close()
	setProcs(p, 1)
	started, release := make(chan struct{}, 1), make(chan struct{})
	var dropped atomic.Int32
	p.push(blocker(started, release, &dropped))
	<-started
	var done sync.WaitGroup
	done.Add(jobs)
	for range jobs {
		if !p.push(fnJob{dropped: &dropped, fn: done.Done}) {
			t.Fatal("push failed with room in the queue")
		}
	}
	if w, a := p.wakes.Load(), p.alive(); w != 1 || a != 1 {
		t.Fatalf("%d jobs queued behind a busy worker: %d wake-ups and %d workers, want 1 and 1", jobs, w, a)
	}
	close(release)
	done.Wait()
	if w := p.wakes.Load(); w != 1 {
		t.Fatalf("%d wake-ups for %d jobs taken by one worker, want 1", w, jobs+1)
	}
}

// TestWorkersWakeUpToProcs checks that a job queued while every awake
// worker is busy wakes another only while fewer than procs are awake.
func TestWorkersWakeUpToProcs(t *testing.T) {
	for _, procs := range []int32{1, 2} {
		p := newWorkers(4, 4, 8, false, time.Hour, nil)
		setProcs(p, procs)
		started, release := make(chan struct{}, 4), make(chan struct{})
		var dropped atomic.Int32
		for range 3 {
			p.push(blocker(started, release, &dropped))
		}
		for range procs {
			<-started
		}
		if a, q := p.alive(), p.queued(); a != int(procs) || q != 3-int(procs) {
			t.Errorf("procs %d: %d workers for 3 busy jobs, %d queued; want %d and %d", procs, a, q, procs, 3-procs)
		}
		close(release)
		for range 3 - procs {
			<-started
		}
		p.close()
		if dropped.Load() != 0 {
			t.Errorf("procs %d: %d jobs dropped", procs, dropped.Load())
		}
	}
}
