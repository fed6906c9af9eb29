package threads

import (
	"os"
	"sync"
	"testing"
	"time"
)

// waitWorkers waits, up to a generous deadline, until p holds want
// workers. Retirement runs on timers, so the test waits for the state
// rather than for a time.
func waitWorkers(t *testing.T, p *pool, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.workers() != want {
		if time.Now().After(deadline) {
			t.Fatalf("pool holds %d workers, want %d", p.workers(), want)
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

func TestPoolIdleWorkersExitWithTheirThreads(t *testing.T) {
	const n = 8
	release := make(chan struct{})
	var serving sync.WaitGroup
	serving.Add(n)
	p := newPool(n, 20*time.Millisecond, nil, func(fd int) {
		serving.Done()
		<-release
	})
	t.Cleanup(p.close)
	for fd := range n {
		if !p.acquire(nil) {
			t.Fatal("acquire failed")
		}
		p.dispatch(fd)
	}
	serving.Wait() // every worker is on its own locked thread now
	busy := osThreads(t)
	if got := p.workers(); got != n {
		t.Fatalf("%d workers serving %d connections", got, n)
	}
	close(release)
	waitWorkers(t, p, 0)
	// A locked goroutine that returns takes its thread down with it.
	// Other runtime threads may come and go meanwhile, so ask for most,
	// not all, of the pool's threads to be gone; workers that stayed
	// would leave the count where it was.
	if after := osThreads(t); busy-after < n/2 {
		t.Fatalf("threads: %d while serving, %d after the workers retired; want at least %d fewer", busy, after, n/2)
	}
	// The pool still serves after retiring every worker.
	done := make(chan int, 1)
	p.serve = func(fd int) { done <- fd }
	if !p.acquire(nil) {
		t.Fatal("acquire failed")
	}
	p.dispatch(42)
	if fd := <-done; fd != 42 {
		t.Fatalf("served fd %d, want 42", fd)
	}
}

func TestPoolReusesAnIdleWorkerWithinKeepAlive(t *testing.T) {
	served := make(chan int)
	p := newPool(4, time.Hour, nil, func(fd int) { served <- fd })
	t.Cleanup(p.close)
	for fd := range 5 {
		if !p.acquire(nil) {
			t.Fatal("acquire failed")
		}
		p.dispatch(fd)
		<-served
		waitIdle(t, p, 1)
	}
	if got := p.workers(); got != 1 {
		t.Fatalf("%d workers after five connections one at a time, want 1 reused", got)
	}
}

// waitIdle waits until n workers are on the idle list.
func waitIdle(t *testing.T, p *pool, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		idle := len(p.idle)
		p.mu.Unlock()
		if idle == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d idle workers, want %d", idle, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPoolDispatchRacesRetirement hands out connections while workers
// retire on a keep-alive so short that dispatch and retire keep meeting:
// every connection must be served exactly once and the worker count must
// come back to zero.
func TestPoolDispatchRacesRetirement(t *testing.T) {
	const conns = 2000
	var mu sync.Mutex
	seen := make(map[int]int, conns)
	p := newPool(8, time.Microsecond, nil, func(fd int) {
		mu.Lock()
		seen[fd]++
		mu.Unlock()
	})
	for fd := range conns {
		if !p.acquire(nil) {
			t.Fatal("acquire failed")
		}
		p.dispatch(fd)
	}
	waitWorkers(t, p, 0)
	p.close()
	mu.Lock()
	defer mu.Unlock()
	for fd := range conns {
		if seen[fd] != 1 {
			t.Fatalf("connection %d served %d times", fd, seen[fd])
		}
	}
}
