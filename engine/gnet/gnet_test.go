package gnetengine_test

import (
	"testing"

	"github.com/rawnet/rawnet/engine/enginetest"
	gnetengine "github.com/rawnet/rawnet/engine/gnet"
)

// The limitations below are gnet's, verified against gnet v2.9.7; the
// adapter closes the gaps it can (see ENGINES.md) and these remain.
func TestConformance(t *testing.T) {
	enginetest.Run(t, gnetengine.Engine{},
		enginetest.Limitation("backpressure",
			"gnet reads every readable connection into its own buffers (eventloop.read in eventloop_unix.go) "+
				"and offers no way to stop reading one, so a client that never reads keeps sending and the "+
				"heap grows by what it sends; the adapter stops echoing past WriteLimit, which only moves "+
				"the growth from gnet's outbound to its inbound buffer"),
		enginetest.Limitation("inputbudget",
			"gnet reads every readable connection into its own buffers and offers no way to stop reading "+
				"one, so a connection cannot be made to wait for input budget: every partial frame is "+
				"buffered whole, whatever the budget"),
		enginetest.Limitation("emfile",
			"an accept that fails with EMFILE ends gnet's acceptor loop (acceptor_unix.go returns "+
				"ErrAcceptSocket, which ends Poller.Polling), which stops every event loop and closes every "+
				"connection; gnet.Run then returns nil and the adapter reports the stop through Done and Err"),
		enginetest.Limitation("shutdown",
			"gnet cannot stop accepting and keep serving: Engine.Stop closes every connection, and a "+
				"listener shut down under gnet makes accept fail, which stops the engine as in emfile; "+
				"while draining, the adapter accepts new connections and closes them at once, so a client "+
				"that waits to be refused before reading its echo holds the drain up to the deadline"),
	)
}
