package budget_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/budget"
)

func TestBudgetTryReserve(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		reserve  []int
		want     []bool
		wantFree int
	}{
		{name: "fits", size: 10, reserve: []int{4, 6}, want: []bool{true, true}, wantFree: 0},
		{name: "over what is free", size: 10, reserve: []int{8, 3, 2}, want: []bool{true, false, true}, wantFree: 0},
		{name: "over the size", size: 10, reserve: []int{11}, want: []bool{false}, wantFree: 10},
		{name: "zero is free", size: 0, reserve: []int{0, -1}, want: []bool{true, true}, wantFree: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := budget.New(tt.size)
			for i, n := range tt.reserve {
				if got := b.TryReserve(n); got != tt.want[i] {
					t.Errorf("TryReserve(%d) #%d = %v, want %v", n, i, got, tt.want[i])
				}
			}
			if got := b.Free(); got != tt.wantFree {
				t.Errorf("Free() = %d, want %d", got, tt.wantFree)
			}
		})
	}
}

func TestBudgetGrantsWaitersInOrder(t *testing.T) {
	b := budget.New(10)
	if !b.TryReserve(10) {
		t.Fatal("TryReserve of the whole budget failed")
	}
	var got []int
	for i := range 3 {
		w, ok := b.ReserveOrWait(4, func() { got = append(got, i) })
		if ok || w == nil {
			t.Fatalf("ReserveOrWait with nothing free: (%v, %v), want a queued wait", w, ok)
		}
	}
	if b.TryReserve(1) {
		t.Error("TryReserve went ahead of queued waiters")
	}
	b.Release(5) // 5 free: the first waiter gets 4
	if want := []int{0}; !slices.Equal(got, want) {
		t.Fatalf("after releasing 5: granted %v, want %v", got, want)
	}
	b.Release(5) // 6 free: the second gets 4, the third does not fit
	if want := []int{0, 1}; !slices.Equal(got, want) {
		t.Fatalf("after releasing 10: granted %v, want %v", got, want)
	}
	if free := b.Free(); free != 2 {
		t.Errorf("Free() = %d, want 2", free)
	}
}

func TestBudgetCancel(t *testing.T) {
	b := budget.New(10)
	b.TryReserve(8)
	granted := 0
	big, _ := b.ReserveOrWait(9, func() { granted |= 1 })
	small, _ := b.ReserveOrWait(2, func() { granted |= 2 })
	// The big request at the head holds the small one back; cancelling
	// it lets the small one through at once.
	if !big.Cancel() {
		t.Fatal("Cancel of a waiting request reported it granted")
	}
	if granted != 2 {
		t.Fatalf("after cancelling the head: granted mask %b, want the small request only", granted)
	}
	if small.Cancel() {
		t.Error("Cancel of a granted request reported it withdrawn")
	}
	if big.Cancel() {
		t.Error("second Cancel reported the request withdrawn again")
	}
	b.Release(10)
	if free := b.Free(); free != 10 {
		t.Errorf("after every release: Free() = %d, want 10", free)
	}
}

func TestBudgetReserveWaitsForRelease(t *testing.T) {
	b := budget.New(10)
	if err := b.Reserve(context.Background(), 8); err != nil {
		t.Fatalf("Reserve 8 of 10: %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- b.Reserve(context.Background(), 5) }()
	// The waiter is queued once a TryReserve of 1 byte, which fits in
	// what is free, is refused for being behind it.
	deadline := time.Now().Add(10 * time.Second)
	for b.TryReserve(1) {
		b.Release(1)
		if time.Now().After(deadline) {
			t.Fatal("Reserve never queued")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-got:
		t.Fatalf("Reserve 5 with 2 free returned %v before a release", err)
	default:
	}
	b.Release(8)
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("Reserve after release: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Reserve not woken by Release")
	}
	if free := b.Free(); free != 5 {
		t.Errorf("Free() = %d, want 5", free)
	}
}

func TestBudgetReserveGivesUpWithContext(t *testing.T) {
	b := budget.New(4)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	b.TryReserve(1)
	if err := b.Reserve(ctx, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Reserve over what is free: got %v, want context.DeadlineExceeded", err)
	}
	if err := b.Reserve(context.Background(), 5); !errors.Is(err, budget.ErrTooLarge) {
		t.Fatalf("Reserve over the size: got %v, want ErrTooLarge", err)
	}
	b.Release(1)
	if free := b.Free(); free != 4 {
		t.Fatalf("a failed Reserve kept bytes: Free() = %d, want 4", free)
	}
}

func TestBudgetReserveUntil(t *testing.T) {
	tests := []struct {
		name     string
		held     int // reserved before the call, of 10
		n        int
		deadline time.Duration // from now; 0 means none
		wantErr  error
		wantFree int
	}{
		{name: "fits, no deadline", n: 4, wantFree: 6},
		{name: "fits, deadline passed", n: 4, deadline: -time.Second, wantFree: 6},
		{name: "no room until the deadline", held: 8, n: 4, deadline: 20 * time.Millisecond, wantErr: context.DeadlineExceeded, wantFree: 2},
		{name: "over the size", n: 11, deadline: time.Hour, wantErr: budget.ErrTooLarge, wantFree: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := budget.New(10)
			b.TryReserve(tt.held)
			var deadline time.Time
			if tt.deadline != 0 {
				deadline = time.Now().Add(tt.deadline)
			}
			if err := b.ReserveUntil(context.Background(), tt.n, deadline); !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReserveUntil(%d): %v, want %v", tt.n, err, tt.wantErr)
			}
			if free := b.Free(); free != tt.wantFree {
				t.Errorf("Free() = %d, want %d", free, tt.wantFree)
			}
		})
	}
}

// TestBudgetConcurrent has goroutines reserve and release with both
// kinds of wait and checks that the budget is never overdrawn and ends
// whole.
func TestBudgetConcurrent(t *testing.T) {
	const size, workers, rounds = 100, 8, 200
	b := budget.New(size)
	var mu sync.Mutex
	held := 0
	take := func(n int) {
		mu.Lock()
		held += n
		if held > size {
			t.Errorf("%d bytes held of a %d-byte budget", held, size)
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 10 + 7*w
			for r := range rounds {
				if r%2 == 0 {
					if err := b.Reserve(context.Background(), n); err != nil {
						t.Errorf("Reserve: %v", err)
						return
					}
				} else {
					ch := make(chan struct{})
					if _, ok := b.ReserveOrWait(n, func() { close(ch) }); !ok {
						<-ch
					}
				}
				take(n)
				take(-n)
				b.Release(n)
			}
		}()
	}
	wg.Wait()
	if free := b.Free(); free != size {
		t.Errorf("Free() = %d after every release, want %d", free, size)
	}
}

func TestReservation(t *testing.T) {
	tests := []struct {
		name     string
		frameMax int
		want     int
	}{
		{name: "small frames need none", frameMax: 1 << 10, want: 0},
		{name: "at the threshold", frameMax: engine.UnbudgetedInput, want: 0},
		{name: "a large frame", frameMax: 4 << 20, want: 4<<20 - engine.UnbudgetedInput},
	}
	for _, tt := range tests {
		if got := budget.Reservation(tt.frameMax); got != tt.want {
			t.Errorf("%s: Reservation(%d) = %d, want %d", tt.name, tt.frameMax, got, tt.want)
		}
	}
}
