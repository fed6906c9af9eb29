//go:build linux

package hostile

import "github.com/rawnet/rawnet/internal/knownfail"

// tb is the part of testing.TB the cases use: *testing.T, or the recorder
// knownfail.Run passes to a case declared as a limitation.
type tb = knownfail.TB
