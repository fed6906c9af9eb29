package std

import (
	"sync"
	"testing"
	"time"
)

// TestTurnsWait checks that waiters return, whether they lead or follow,
// and that once closed the turns let every caller through at once.
func TestTurnsWait(t *testing.T) {
	ts, err := newTurns()
	if err != nil {
		t.Fatal(err)
	}
	const waiters, rounds = 8, 50
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for range waiters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					ts.wait()
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%d goroutines waiting %d turns each still waiting after 10s", waiters, rounds)
	}
	ts.close()
	returned := make(chan struct{})
	go func() {
		ts.wait()
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("wait on closed turns did not return")
	}
}
