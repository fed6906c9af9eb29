package enginetest

import (
	"errors"
	"syscall"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// writeTimeout is the WriteTimeout the write timeout case configures.
const writeTimeout = 200 * time.Millisecond

// writeTimeoutCase checks that a connection whose output makes no
// progress for WriteTimeout is closed and counted, while others are
// served.
func writeTimeoutCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{WriteTimeout: writeTimeout})
	c := dial(t, srv)
	if err := echo(c, ping); err != nil {
		t.Fatalf("echo before the flood: %v", err)
	}
	// The server may close the connection while the client still
	// writes, which then fails with ECONNRESET or EPIPE.
	sent, err := fillUntilBlocked(c, make([]byte, 64<<10), slowOffer, blockedWait)
	if err != nil && !isClosed(err) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("after writing %d bytes: %v", sent, err)
	}
	if got, err := readToClose(c, patience); !isClosed(err) {
		t.Errorf("connection not reading its echo for over %v: want it closed by the server, got %d bytes then %v",
			writeTimeout, len(got), err)
	}
	waitStats(t, srv, "Errors.WriteTimeout and Closed.WriteTimeout not counted", func(s engine.Stats) bool {
		return s.Errors.WriteTimeout >= 1 && s.Closed.WriteTimeout >= 1
	})
	if err := echo(dial(t, srv), ping); err != nil {
		t.Errorf("another connection after the write timeout: %v", err)
	}
}
