//go:build !linux

package work

import (
	"errors"
	"time"
)

// errUnsupported refuses CPU work where the thread CPU clock it is
// calibrated with is not used.
var errUnsupported = errors.New("cpu work needs Linux's thread CPU clock (CLOCK_THREAD_CPUTIME_ID); it is not supported on this system")

// supported reports whether work of kind k can be applied here: sleep
// work only.
func supported(k Kind) error {
	if k == CPU {
		return errUnsupported
	}
	return nil
}

// calibrated is a no-op here: Parse refuses CPU work.
func calibrated() (float64, time.Duration) { return 0, 0 }

// burner is empty here: Parse refuses CPU work.
type burner struct{}

// burn is never called here: Parse refuses CPU work.
func (b *burner) burn(time.Duration) {}

// blockThread sleeps with time.Sleep: the engines that block threads
// need Linux.
func blockThread(d time.Duration) { time.Sleep(d) }
