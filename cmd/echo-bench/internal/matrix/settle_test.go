package matrix

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSettleWaits checks the idle phase's settle: it waits at least the
// duration asked for, not at all for 0, and gives up when the context
// ends.
func TestSettleWaits(t *testing.T) {
	start := time.Now()
	if err := settle(context.Background(), 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("settle(30ms) returned after %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := settle(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("settle with a cancelled context: %v, want context.Canceled", err)
	}
	if err := settle(ctx, 0); err != nil {
		t.Errorf("settle(0): %v", err)
	}
}
