package gnetengine_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// gnet's package pkg/pool/goroutine creates a process-wide ants
		// pool in a package-level var (DefaultWorkerPool), whose two
		// housekeeping goroutines start at init and never stop. They
		// belong to gnet, not to any server the tests start.
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
	)
}
