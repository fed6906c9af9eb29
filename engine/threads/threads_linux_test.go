package threads_test

import (
	"context"
	"io"
	"net"
	"runtime/debug"
	"testing"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/engine/threads"
)

// The conformance suite (threads_test.go) covers echo, framing, limits and
// shutdown; these tests cover what only the thread pool does.

// start runs the engine with cfg until the test ends.
func start(t *testing.T, cfg engine.Config) engine.Server {
	t.Helper()
	return enginetest.Start(t, threads.Engine{}, cfg)
}

func TestIterativeServerQueuesInBacklog(t *testing.T) {
	srv := start(t, engine.Config{Threads: 1})
	first := enginetest.Dial(t, srv)
	first.Write([]byte("1"))
	io.ReadFull(first, make([]byte, 1))
	second := enginetest.Dial(t, srv) // completes in the backlog; nobody reads it yet
	second.Write([]byte("2"))
	if got := srv.Stats().Accepted; got != 1 {
		t.Fatalf("Accepted = %d with the only thread busy, want 1", got)
	}
	first.Close()
	b := make([]byte, 1)
	if _, err := io.ReadFull(second, b); err != nil || b[0] != '2' {
		t.Fatalf("second connection echo = %q, %v", b, err)
	}
}

func TestStartRefusesAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	srv, err := threads.Engine{}.Start(engine.Config{Addr: busy.Addr().String()})
	if err == nil {
		srv.Shutdown(context.Background())
		t.Fatal("Start on a port in use succeeded")
	}
}

func TestStartRaisesTheRuntimeThreadLimit(t *testing.T) {
	const pool = 20000
	start(t, engine.Config{Threads: pool})
	limit := debug.SetMaxThreads(10000)
	debug.SetMaxThreads(limit)
	if limit < pool {
		t.Errorf("runtime thread limit %d after starting a pool of %d; a full pool would kill the process", limit, pool)
	}
}
