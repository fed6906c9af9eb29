// Package work is the handler work an engine applies to every frame
// before echoing it (engine.Config.Work, --work on echo-tcp and
// echo-udp), so that the concurrency models can be compared on a
// workload that computes or waits, not only on a bare echo.
//
// A Spec is a list of terms that add up, written as --work takes them:
//
//	cpu:DUR        burn DUR of CPU time on the serving thread
//	sleep:DUR      block for DUR, as a synchronous database or disk call does
//	TERM@P%        apply TERM to a share P of the frames only (0 < P <= 100)
//	TERM,TERM...   several terms, added up per frame
//
// as in "cpu:20us,sleep:5ms@1%". Durations are Go's (500ns, 20us, 5ms).
//
// A Runner applies a Spec. Each goroutine or thread that serves frames
// (a connection's goroutine or thread, an event loop, a UDP socket's
// reader) owns one Runner, handed out by a Source, and calls
// Runner.Frames with the number of complete frames it is about to echo.
// A term with a share is drawn for each frame from the Runner's own
// generator (math/rand/v2's PCG), seeded from the server's seed and the
// order in which the Source handed the Runner out, so a run with the same
// seed draws the same frames again.
//
// CPU work is calibrated against the thread's CPU clock
// (CLOCK_THREAD_CPUTIME_ID), never against the wall clock, so a burn is
// the same CPU time on a loaded machine as on an idle one (burn_linux.go
// says how, and why the clock is not read every few hundred
// nanoseconds). Sleep work blocks the caller the way its engine's own
// blocking calls do (SleepMode): a goroutine parks, a thread that owns
// its connection blocks in the kernel. Either way the caller serves
// nothing else meanwhile: an event loop that sleeps keeps all of its
// connections waiting, which is the cost the comparison is after.
//
// The zero Spec is no work, and its Runner costs the caller one
// predictable branch per batch of frames and no allocation.
package work
