// Package hostile is the hostile-input and fault suite: every engine in
// engine/all is attacked the way an open network and a load test gone
// wrong attack a server, and the promises of the design (echo integrity,
// bounded memory, no busy loops, clean shutdown, nothing leaked) are
// asserted case by case.
//
// The suite lives in the package's tests, which build on Linux only: they
// read /proc, lower descriptor limits with prlimit(2) and create network
// namespaces. `go test ./hostile` runs the
// quick cases against every engine; RAWNET_HOSTILE=full, or selecting
// cases with -run, runs the long ones too. With RAWNET_HOSTILE_RESULTS
// set to a file name, the run writes a Markdown table of cases by
// engines (pass, known limitation with its reason, fail, skipped) to that
// file. RAWNET_SOAK=duration runs a bounded soak per engine and asserts
// that memory, goroutines and descriptors stay flat.
//
// Cases that measure the heap start servers in the test process through
// each engine's Engine.Start (engines looked up in engine/all). Cases that observe a process from outside (RSS, CPU time,
// descriptors, SIGTERM, a lowered descriptor limit, latency with the
// server on a CPU of its own) build cmd/echo-tcp and cmd/echo-udp once per
// run and start them with --addr 127.0.0.1:0; RAWNET_HOSTILE_BIN=dir
// attacks the binaries in dir instead, such as those of an older build.
// A client that must not share the test process's Go scheduler (the
// flood of starvation/process) runs in a process of its own: the test
// binary started again with RAWNET_HOSTILE_FLOODER set. Cases
// that need a network namespace create one with a veth pair on
// 198.18.0.0/15 addresses, remove it when they end, and are skipped with
// the reason when the suite does not run as root. Traffic goes only to
// loopback and to those namespaces, and every loop is bounded in count and
// in time.
//
// A case an engine is known to fail is declared in the limitations table (limits_test.go)
// with a short name and a reason: it still runs, its failures are logged
// and its name is shown in the results table, and the suite fails once
// the case passes, so the declaration is removed. A reason that starts
// with "BUG:" marks a defect awaiting a fix, not a design limit.
//
// Cases that draw random data (segment sizes, payloads) seed their
// generator from the clock and log the seed when they fail;
// RAWNET_HOSTILE_SEED=N replays that run with seed N.
//
// TestRelay attacks relay-tcp the same way, as a process in front of an
// echo-tcp process (built with the others; RAWNET_HOSTILE_BIN may hold
// one): half-close with SHA-256 through both directions, resets in the
// middle of a write, never-reading clients against the relay's RSS, an
// EMFILE storm under prlimit, silent and trickling clients against its
// idle timeout, and a SIGTERM drain that must deliver every byte it has
// accepted. Its cases have a table of their own in the results file.
//
// TestStateMachine (and FuzzStateMachine, the same property as a fuzz
// target) drives every engine with random sequences of client actions
// built with pgregory.net/rapid and checks each echo against a model.
package hostile
