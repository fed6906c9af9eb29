package std

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBudgetWaitsForRelease(t *testing.T) {
	b := newBudget(10)
	if err := b.acquire(context.Background(), 8); err != nil {
		t.Fatalf("acquire 8 of 10: %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- b.acquire(context.Background(), 5) }()
	select {
	case err := <-got:
		t.Fatalf("acquire 5 with 2 free returned %v before a release", err)
	case <-time.After(50 * time.Millisecond):
	}
	b.release(8)
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("acquire after release: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("acquire not woken by release")
	}
}

func TestBudgetGivesUpWithContext(t *testing.T) {
	b := newBudget(4)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.acquire(ctx, 5); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire over the budget: got %v, want context.DeadlineExceeded", err)
	}
	if err := b.acquire(context.Background(), 4); err != nil {
		t.Fatalf("a failed acquire took bytes: %v", err)
	}
}
