//go:build linux

package netpoll

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// ownProcessEnv names the test a child test binary runs alone.
const ownProcessEnv = "NETPOLL_TEST_OWN_PROCESS"

// inOwnProcess runs the calling test alone in a fresh copy of the test
// binary and reports true, or, in that copy, reports false so that the
// test runs its body. A test that lowers RLIMIT_NOFILE and fills the
// descriptor table runs this way: both are the process's, and what
// earlier tests of the package left behind (a descriptor closed late, a
// goroutine still winding down) frees or takes a number while it
// expects every accept to fail.
func inOwnProcess(t *testing.T) bool {
	t.Helper()
	if os.Getenv(ownProcessEnv) == t.Name() {
		return false
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), ownProcessEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	switch {
	case err != nil:
		t.Fatalf("%s in a process of its own: %v\n%s", t.Name(), err, out)
	case bytes.Contains(out, []byte("--- SKIP: "+t.Name())):
		t.Skipf("skipped in a process of its own:\n%s", out)
	case !bytes.Contains(out, []byte("--- PASS: "+t.Name())):
		t.Fatalf("%s did not run in a process of its own:\n%s", t.Name(), out)
	}
	t.Logf("%s ran in a process of its own:\n%s", t.Name(), out)
	return true
}
