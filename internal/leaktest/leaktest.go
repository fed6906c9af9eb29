// Package leaktest holds the goroutine-leak checks shared by the test
// mains of packages that start goroutines.
package leaktest

import (
	"testing"

	"go.uber.org/goleak"
)

// Ignores lists goroutines that are not leaks: gnet's package
// pkg/pool/goroutine creates a process-wide ants pool in a package-level
// var (DefaultWorkerPool), whose two housekeeping goroutines start at init
// and never stop. Any binary that links the gnet engine has them.
func Ignores() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
	}
}

// VerifyTestMain runs the tests and fails the run if goroutines other than
// the ignored ones are still running at the end.
func VerifyTestMain(m *testing.M) {
	goleak.VerifyTestMain(m, Ignores()...)
}
