package enginetest

import (
	"net"
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// Start starts e with cfg for an engine's own tests: the server logs through
// t, and it is shut down when the test ends. A failed Start fails the test.
func Start(t testing.TB, e engine.Engine, cfg engine.Config) engine.Server {
	t.Helper()
	return start(t, e, cfg)
}

// Dial connects to srv over TCP, failing the test on error, with a
// deadline of the suite's patience (10 s) on every read and write, so a
// test that waits for bytes that never come fails instead of hanging;
// the connection is closed when the test ends.
func Dial(t testing.TB, srv engine.Server) *net.TCPConn {
	t.Helper()
	c := dial(t, srv)
	if err := c.SetDeadline(time.Now().Add(patience)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	return c
}

// WaitFor polls cond until it holds and reports whether it did; after the
// suite's patience (10 s) it fails the test with what.
func WaitFor(t testing.TB, what string, cond func() bool) bool {
	t.Helper()
	return waitFor(t, what, cond)
}

// PollUntil checks cond every few milliseconds until it holds or wait has
// passed, and reports whether it held; it never fails a test by itself.
func PollUntil(wait time.Duration, cond func() bool) bool {
	return pollUntil(wait, cond)
}

// IsClosed reports whether err is how a reader sees a connection the
// server closed: end of input, or a reset when the server closed with
// input unread (tcp(7)).
func IsClosed(err error) bool { return isClosed(err) }

// IsTimeout reports whether err is a passed read or write deadline.
func IsTimeout(err error) bool { return isTimeout(err) }

// Expect reads len(want) bytes from c, each read waiting up to wait, and
// reports the first difference from want, if any.
func Expect(c net.Conn, want []byte, wait time.Duration) error {
	return expectWithin(c, want, wait)
}
