//go:build !linux

package enginetest

import "github.com/rawnet/rawnet/engine"

// emfileCase fails outside Linux, where the suite does not lower the
// descriptor limit.
func emfileCase(t tb, e engine.Engine) {
	t.Fatalf("the descriptor exhaustion case needs setrlimit(2)")
}
