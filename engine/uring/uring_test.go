package uring_test

import (
	"runtime"
	"testing"

	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/engine/uring"
	"github.com/rawnet/rawnet/internal/leaktest"
)

func TestMain(m *testing.M) {
	if refusalChild() {
		return // not reached: the child exits
	}
	// leaktest, not goleak alone: the refusal test links internal/cli,
	// and with it gnet's pool goroutines.
	leaktest.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the uring engine needs Linux")
	}
	if err := (uring.Engine{}).Available(); err != nil {
		t.Skipf("io_uring unavailable: %v", err)
	}
	enginetest.Run(t, uring.Engine{})
}

// TestName keeps the name the command line and the matrix use.
func TestName(t *testing.T) {
	if got := (uring.Engine{}).Name(); got != "uring" {
		t.Fatalf("Name() = %q", got)
	}
}
