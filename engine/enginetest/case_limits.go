package enginetest

import (
	"net"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// Limits the cases configure.
const (
	maxConns    = 4
	idleTimeout = 200 * time.Millisecond
)

// ping is a frame of every framing but fixed.
var ping = []byte("ping\n")

// maxConnsCase checks that a connection over MaxConns is closed at once
// and counted, and that a new one is served once another has closed.
func maxConnsCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{MaxConns: maxConns})
	conns := make([]*net.TCPConn, maxConns)
	for i := range conns {
		conns[i] = dial(t, srv)
		if err := echo(conns[i], ping); err != nil {
			t.Fatalf("connection %d of %d: %v", i+1, maxConns, err)
		}
	}
	over := dial(t, srv)
	if _, err := readToClose(over, patience); !isClosed(err) {
		t.Errorf("connection %d with MaxConns %d: want it closed by the server, got %v", maxConns+1, maxConns, err)
	}
	waitStats(t, srv, "Errors.Rejected and Closed.MaxConns not counted", func(s engine.Stats) bool {
		return s.Errors.Rejected >= 1 && s.Closed.MaxConns == s.Errors.Rejected
	})
	conns[0].Close()
	waitFor(t, "no new connection served after one of the open ones closed", func() bool {
		c, err := dialErr(srv)
		if err != nil {
			return false
		}
		defer c.Close()
		return echo(c, ping) == nil
	})
	for i, c := range conns[1:] {
		if err := echo(c, ping); err != nil {
			t.Errorf("connection %d after the rejections: %v", i+2, err)
		}
	}
}

// idleCase checks that a connection that sends nothing for IdleTimeout is
// closed and counted while one that keeps sending is served.
func idleCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{IdleTimeout: idleTimeout})
	idle := dial(t, srv)
	active := dial(t, srv)
	for _, c := range []net.Conn{idle, active} {
		if err := echo(c, ping); err != nil {
			t.Fatalf("first echo: %v", err)
		}
	}
	began := time.Now()
	stop := make(chan struct{})
	activeErr := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				activeErr <- nil
				return
			default:
			}
			if err := echo(active, ping); err != nil {
				activeErr <- err
				return
			}
		}
	}()
	if _, err := readToClose(idle, patience); !isClosed(err) {
		t.Errorf("connection idle for over %v: want it closed by the server, got %v", idleTimeout, err)
	}
	// Keep the active connection busy for three timeouts in all.
	select {
	case <-time.After(3*idleTimeout - time.Since(began)):
		close(stop)
		if err := <-activeErr; err != nil {
			t.Errorf("connection sending all along: %v", err)
		}
	case err := <-activeErr:
		close(stop)
		t.Errorf("connection sending all along, after %v: %v", time.Since(began), err)
	}
	waitStats(t, srv, "Errors.Idle and Closed.Idle not counted", func(s engine.Stats) bool {
		return s.Errors.Idle >= 1 && s.Closed.Idle >= 1
	})
}
