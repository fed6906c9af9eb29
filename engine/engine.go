// Package engine defines the interface every rawnet concurrency model
// implements, the configuration they share and the statistics they report.
//
// An engine serves echo over one framing: every complete frame a peer sends
// is written back unchanged, in order, exactly once. Bad input (a frame over
// the limit, a bad header) closes that connection after the frames before it
// have been echoed; other connections keep being served. Each concurrency
// model lives in its own sub-package and registers nothing globally; the
// engine/all package maps names to engines for the command-line tools.
package engine

import (
	"context"
	"net"

	"github.com/rawnet/rawnet/sockopt"
)

// Engine is one concurrency model.
type Engine interface {
	// Name is the engine's name as --engine spells it, such as "std".
	Name() string
	// Start binds the socket(s) cfg describes and starts serving. It
	// returns once the server accepts connections or datagrams, so the
	// caller may connect to Addr at once. Start returns an error for a
	// Config the engine cannot serve.
	Start(cfg Config) (Server, error)
}

// Server is a running engine instance.
type Server interface {
	// Addr is the bound address, with the port the kernel chose for port 0.
	Addr() net.Addr
	// Sockopts reports the socket options requested and those the kernel
	// granted on the listening (or first UDP) socket.
	Sockopts() sockopt.Report
	// Stats returns a snapshot of the server's counters.
	Stats() Stats
	// Shutdown stops accepting, lets open connections finish echoing what
	// they already sent until ctx is done, then closes whatever remains.
	// It returns ctx.Err() if connections had to be force-closed, and nil
	// when every connection drained. It is safe to call more than once.
	Shutdown(ctx context.Context) error
	// Done is closed when the server has stopped serving, after Shutdown
	// or after a fatal error.
	Done() <-chan struct{}
	// Err returns the fatal error that stopped the server, or nil. It is
	// meaningful once Done is closed.
	Err() error
}
