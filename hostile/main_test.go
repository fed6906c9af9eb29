//go:build linux

package hostile

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/rawnet/rawnet/internal/leaktest"
)

// TestMain runs the suite, writes the results table when
// RAWNET_HOSTILE_RESULTS names a file, removes the binaries the run built
// and fails the run if a goroutine is left behind.
func TestMain(m *testing.M) {
	if addr := os.Getenv(floodEnv); addr != "" {
		os.Exit(floodMain(addr))
	}
	code := m.Run()
	if path := os.Getenv("RAWNET_HOSTILE_RESULTS"); path != "" {
		if err := writeResults(path); err != nil {
			fmt.Fprintf(os.Stderr, "hostile: writing results: %v\n", err)
			code = 1
		}
	}
	removeBinaries()
	if code == 0 {
		if err := goleak.Find(leaktest.Ignores()...); err != nil {
			fmt.Fprintf(os.Stderr, "hostile: goroutines left behind: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
