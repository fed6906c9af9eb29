// Package std is the goroutine-per-connection engine on Go's runtime poller
// (package net): the model most Go servers use, and the baseline the other
// engines are measured against.
//
// TCP: one goroutine accepts; each connection gets one goroutine that reads,
// finds complete frames with the codec and writes them back from the same
// buffer before it reads again. Output is therefore never queued in user
// space: a peer that stops reading blocks that goroutine's write, which stops
// its reads (backpressure), and the bytes held per connection are bounded by
// the input buffer, which grows only while a frame is incomplete and never
// past max(frame limit, min(write limit, 64 KiB)).
//
// Input beyond 64 KiB per connection (engine.UnbudgetedInput), which only
// frames longer than that need, comes from the server-wide
// Config.InputBudget, by default max(16 MiB, twice the frame limit),
// shared through one budget (engine/internal/budget): a connection whose frame needs more
// than is free stops reading and waits in the budget's queue until other
// connections give bytes back, so peers that each declare a large frame
// and send it slowly cannot pin connections x frame limit. A buffer grown
// for a large frame shrinks back once the frame is echoed.
//
// IdleTimeout closes a connection that sends nothing for that long, and
// also one whose frame in progress does not complete within that long of
// the previous frame (slowloris: a byte now and then of a frame that
// never ends). Both count in Errors.Idle.
//
// Config.Loops, Balance and Threads do not apply to TCP here: the Go
// runtime spreads connection goroutines over its threads.
//
// UDP: Config.Loops sockets share one port through SO_REUSEPORT, each read by
// its own goroutine; the kernel spreads datagrams among them by a hash of the
// source address (socket(7)), so each sender is served in order.
//
// Shutdown closes the listener, then lets every connection keep reading for
// as long as its peer keeps sending with pauses shorter than drainQuiet, so
// bytes a peer already wrote are echoed even if they were still in its socket
// buffer; a connection quiet for drainQuiet, or at end of input, is closed.
package std
