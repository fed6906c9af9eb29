// Package enginetest is the conformance suite every rawnet engine runs, in
// the spirit of golang.org/x/net/nettest and testing/fstest: the same
// inputs, the same expected bytes and the same behaviour on bad input for
// every concurrency model. An engine is done when
//
//	func TestConformance(t *testing.T) { enginetest.Run(t, myengine.Engine{}) }
//
// passes. The suite starts servers in-process on 127.0.0.1 with port 0 and
// talks to them over loopback only; it measures the Go heap of the test
// process to check that a slow reader cannot grow the engine's memory, so
// it fits engines that allocate from the Go heap.
//
// A shortfall an engine knows of is declared with Limitation, never
// skipped in silence: the case still runs, its failures are logged as a
// known limitation, and the suite fails once the case passes, so the
// declaration is removed when the engine catches up.
//
// Randomised cases log their seed on failure; setting the environment
// variable ENGINETEST_SEED to that value replays them.
package enginetest
