// Package gnetengine is the engine adapter over
// github.com/panjf2000/gnet/v2: gnet's event loops serve the connections,
// and the adapter maps engine.Config onto gnet's options and builds the
// limits gnet lacks on its hooks.
//
// gnet.Run blocks, so it runs in a goroutine; Start returns at gnet's first
// OnTick, which gnet fires once every event loop has started. OnTraffic
// frames the buffered input with the shared codecs and echoes complete
// frames in one write from gnet's buffer (Peek, Write, Discard), so a frame
// is copied only when the socket does not take it at once. Max
// connections are refused in OnOpen; idle and write timeouts, and resuming
// a connection paused at WriteLimit, are checks that OnTick schedules on
// each connection's event loop; the idle check also bounds a frame in
// progress, since input that only adds to a partial frame does not count
// as activity. A clean close flushes the queued output before gnet closes
// the socket, for as long as the peer keeps taking it.
//
// What gnet cannot do, and the adapter cannot add, is listed in
// engine/ENGINES.md and declared as limitations of the conformance suite:
// it cannot stop reading a connection (backpressure, and so no input
// budget either), it stops every loop when accept fails (EMFILE), and it
// cannot stop accepting while connections drain.
//
// Only this package imports gnet.
package gnetengine
