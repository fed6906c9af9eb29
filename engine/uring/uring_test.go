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

// emfileArmed is why the emfile case fails: it lowers RLIMIT_NOFILE
// while the server runs, and io_uring's accept reads the limit once, when
// the request is prepared (io_accept_prep in io_uring/net.c stores
// rlimit(RLIMIT_NOFILE) in accept->nofile), so the multishot accept armed
// at Start accepts past the lowered limit and never fails. Running out of
// descriptors under the limit in force when the accept was armed pauses
// and sheds as on epoll: netpoll's TestUringEMFILEPausesThenServes and
// TestUringEMFILESheds.
const emfileArmed = "io_uring's multishot accept reads RLIMIT_NOFILE when it is armed, not at each accept, so the limit the case lowers under it is never hit"

func TestConformance(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the uring engine needs Linux")
	}
	if err := (uring.Engine{}).Available(); err != nil {
		t.Skipf("io_uring unavailable: %v", err)
	}
	enginetest.Run(t, uring.Engine{},
		enginetest.Limitation("emfile", emfileArmed),
	)
}

// TestName keeps the name the command line and the matrix use.
func TestName(t *testing.T) {
	if got := (uring.Engine{}).Name(); got != "uring" {
		t.Fatalf("Name() = %q", got)
	}
}
