package enginetest

import (
	"fmt"
	"testing"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/internal/knownfail"
)

// tb is the part of testing.TB the cases use: *testing.T, or the recorder
// knownfail.Run passes to a case declared as a limitation.
type tb = knownfail.TB

// testCase is one named behaviour every engine must show.
type testCase struct {
	name string
	run  func(t tb, e engine.Engine)
}

// Option adjusts how Run treats an engine.
type Option struct {
	limitation *limitation
	only       []string // cases to run; the package's own tests use it
}

// limitation is a case an engine is known to fail, and why.
type limitation struct {
	name, reason string
}

// Limitation declares that the engine is known to fail the case caseName
// (one of Cases), for the stated reason. The case still runs: its failures
// are logged as a known limitation instead of failing the test, and the
// test fails if the case passes, so that the declaration is removed.
func Limitation(caseName, reason string) Option {
	return Option{limitation: &limitation{name: caseName, reason: reason}}
}

// Cases returns the names of the suite's cases in the order Run runs them,
// as Limitation and `go test -run` spell them.
func Cases() []string {
	cs := cases()
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.name
	}
	return names
}

// Run runs every case of the suite against e, each as a subtest named as
// Cases lists it. Cases run one after another because one of them measures
// the process heap and another (emfile) lowers the process's descriptor
// limit for a moment; for the same reason the test calling Run must not
// run in parallel with tests that open files.
func Run(t *testing.T, e engine.Engine, opts ...Option) {
	t.Helper()
	limits, selected, errs := parseOptions(opts)
	for _, err := range errs {
		t.Errorf("%v", err)
	}
	for _, c := range cases() {
		if selected != nil && !selected[c.name] {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			reason, limited := limits[c.name]
			if !limited {
				c.run(t, e)
				return
			}
			runLimited(t, e, c, reason)
		})
	}
}

// parseOptions returns the declared limitations by case name, the cases
// to run (nil for all), and an error for each option naming no case.
func parseOptions(opts []Option) (limits map[string]string, selected map[string]bool, errs []error) {
	known := make(map[string]bool)
	for _, name := range Cases() {
		known[name] = true
	}
	limits = make(map[string]string)
	for _, o := range opts {
		if l := o.limitation; l != nil {
			if !known[l.name] {
				errs = append(errs, fmt.Errorf("enginetest: limitation names unknown case %q; Cases lists the valid names", l.name))
				continue
			}
			if l.reason == "" {
				errs = append(errs, fmt.Errorf("enginetest: limitation %q gives no reason", l.name))
				continue
			}
			limits[l.name] = l.reason
		}
		for _, name := range o.only {
			if !known[name] {
				errs = append(errs, fmt.Errorf("enginetest: unknown case %q", name))
				continue
			}
			if selected == nil {
				selected = make(map[string]bool)
			}
			selected[name] = true
		}
	}
	return limits, selected, errs
}

// runLimited runs c, declared a known limitation of e, against a
// recorder: the case's failures are logged to t, and t fails if there
// were none.
func runLimited(t tb, e engine.Engine, c testCase, reason string) {
	t.Helper()
	failed, msgs := runRecorded(c, e)
	if !failed {
		t.Errorf("limitation %q no longer holds; remove it", c.name)
		return
	}
	t.Logf("known limitation of %s: %s: %s", e.Name(), c.name, reason)
	for _, m := range msgs {
		t.Logf("%s", m)
	}
}

// runRecorded runs c against e with knownfail.Run.
func runRecorded(c testCase, e engine.Engine) (failed bool, msgs []string) {
	return knownfail.Run(func(t tb) { c.run(t, e) })
}

// only returns an Option that runs just the named cases.
func only(names ...string) Option {
	return Option{only: names}
}

// String names the option for test output.
func (o Option) String() string {
	if o.limitation != nil {
		return fmt.Sprintf("Limitation(%q, %q)", o.limitation.name, o.limitation.reason)
	}
	return fmt.Sprintf("only(%q)", o.only)
}
