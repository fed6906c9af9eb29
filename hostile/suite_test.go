//go:build linux

package hostile

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/all"
	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/internal/knownfail"
)

// hcase is one hostile scenario every engine faces.
type hcase struct {
	// name is the subtest name, as -run, the limitations table and the
	// results table spell it.
	name string
	// quick cases run in every `go test`; the others only in the long
	// mode (RAWNET_HOSTILE=full) or when selected with -run.
	quick bool
	// root cases create network namespaces and are skipped, with the
	// reason, when the suite does not run as root.
	root bool
	// run attacks the engine and asserts the expected behaviour.
	run func(t tb, x *env)
}

// env is what a case knows of the engine under attack.
type env struct {
	eng  engine.Engine
	name string
	cell *cell
}

// note records a measurement, such as a latency factor, in the results
// table and the test log.
func (x *env) note(t tb, format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	t.Logf("%s: %s", x.name, s)
	resultsMu.Lock()
	x.cell.notes = append(x.cell.notes, s)
	resultsMu.Unlock()
}

// skip records why the case could not judge the engine, such as a
// machine too busy to measure on; runCase skips the test with that reason
// once the case has returned, whether or not the case is a declared
// limitation.
func (x *env) skip(t tb, format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	t.Logf("%s: cannot judge: %s", x.name, s)
	resultsMu.Lock()
	x.cell.skip = s
	resultsMu.Unlock()
}

// Waits. patience bounds any wait for something that must happen; a
// passing run never waits for it. quiet is how long a wait for something
// that must not happen lasts.
const (
	patience = 20 * time.Second
	quiet    = 300 * time.Millisecond
)

// fullMode reports whether the long cases run: RAWNET_HOSTILE=full, or a
// -run pattern that picks cases by name.
func fullMode() bool {
	if os.Getenv("RAWNET_HOSTILE") == "full" {
		return true
	}
	f := flag.Lookup("test.run")
	return f != nil && strings.Contains(f.Value.String(), "TestHostile/")
}

// TestHostile runs every case against every engine in engine/all, as
// TestHostile/<case>/<engine>.
func TestHostile(t *testing.T) {
	full := fullMode()
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			for _, name := range all.Names() {
				t.Run(name, func(t *testing.T) {
					e, _ := all.Lookup(name)
					runCase(t, c, e, full)
				})
			}
		})
	}
}

// runCase runs c against e, as a declared limitation if it is one, checks
// that descriptors and goroutines return to where they were, and records
// the outcome for the results table.
func runCase(t *testing.T, c hcase, e engine.Engine, full bool) {
	cl := record(c.name, e.Name())
	t.Cleanup(func() { cl.settle(t) })
	switch {
	case !c.quick && !full:
		cl.skip = "long case: RAWNET_HOSTILE=full runs it"
		t.Skip(cl.skip)
	case c.root && os.Geteuid() != 0:
		cl.skip = "needs root to create a network namespace"
		t.Skip(cl.skip)
	}
	x := &env{eng: e, name: e.Name(), cell: cl}
	guarded := func(t tb) {
		checkLeaks(t)
		c.run(t, x)
	}
	l, limited := limitationOf(e.Name(), c.name)
	if !limited {
		guarded(t)
		skipIfAsked(t, cl)
		return
	}
	cl.limit = l
	failed, msgs := knownfail.Run(guarded)
	if skipIfAsked(t, cl) {
		return
	}
	if !failed && l.racy {
		t.Logf("known limitation %s of %s did not show in this run (it depends on a race): %s", l.name, e.Name(), l.why)
		return
	}
	if !failed {
		t.Errorf("limitation %q of %s no longer holds; remove it from the limitations table", c.name, e.Name())
		return
	}
	t.Logf("known limitation %s of %s: %s: %s", l.name, e.Name(), c.name, l.why)
	for _, m := range msgs {
		t.Logf("%s", m)
	}
}

// skipIfAsked skips t with the reason the case gave env.skip, if it gave
// one, and otherwise reports false.
func skipIfAsked(t *testing.T, cl *cell) bool {
	resultsMu.Lock()
	reason := cl.skip
	resultsMu.Unlock()
	if reason == "" {
		return false
	}
	t.Skip(reason)
	return true
}

// checkLeaks records the process's descriptors and goroutines now and
// registers a check, run after every other cleanup of the case, that both
// return to those counts. Descriptors and goroutines a server releases
// after Shutdown returns get patience to go.
func checkLeaks(t tb) {
	fds0 := countFDs(os.Getpid())
	g0 := runtime.NumGoroutine()
	t.Cleanup(func() {
		var fds, g int
		if !enginetest.PollUntil(patience, func() bool {
			fds, g = countFDs(os.Getpid()), runtime.NumGoroutine()
			return fds <= fds0 && g <= g0
		}) {
			t.Errorf("after the case: %d descriptors (%d before) and %d goroutines (%d before)", fds, fds0, g, g0)
		}
	})
}

// waitFor polls cond until it holds or patience runs out, and reports
// the failure with what.
func waitFor(t tb, what string, cond func() bool) bool {
	t.Helper()
	if !enginetest.PollUntil(patience, cond) {
		t.Errorf("after %v: %s", patience, what)
		return false
	}
	return true
}
