//go:build !unix

package enginetest

import "github.com/rawnet/rawnet/engine"

// emfileCase fails outside Unix, where the suite cannot lower the
// descriptor limit.
func emfileCase(t tb, e engine.Engine) {
	t.Fatalf("the descriptor exhaustion case needs setrlimit(2)")
}
