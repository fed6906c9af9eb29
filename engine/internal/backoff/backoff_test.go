package backoff_test

import (
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine/internal/backoff"
)

func TestNext(t *testing.T) {
	tests := []struct {
		name string
		prev time.Duration
		want time.Duration
	}{
		{name: "first failure", prev: 0, want: 5 * time.Millisecond},
		{name: "doubles", prev: 5 * time.Millisecond, want: 10 * time.Millisecond},
		{name: "doubles again", prev: 320 * time.Millisecond, want: 640 * time.Millisecond},
		{name: "capped", prev: 640 * time.Millisecond, want: time.Second},
		{name: "stays at the cap", prev: time.Second, want: time.Second},
	}
	for _, tt := range tests {
		if got := backoff.Next(tt.prev); got != tt.want {
			t.Errorf("%s: Next(%v) = %v, want %v", tt.name, tt.prev, got, tt.want)
		}
	}
}

func TestSleep(t *testing.T) {
	quit := make(chan struct{})
	if !backoff.Sleep(0, quit) {
		t.Error("Sleep(0) with quit open reported quit")
	}
	close(quit)
	// An hour's pause must end at once: quit is closed.
	if backoff.Sleep(time.Hour, quit) {
		t.Error("Sleep with quit closed reported a full pause")
	}
}
