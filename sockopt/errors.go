package sockopt

import (
	"errors"
	"runtime"
)

// ErrUnsupported is returned by every function in this package on operating
// systems other than Linux, where the options and their read-back are not
// implemented.
var ErrUnsupported = errors.New("sockopt: unsupported on " + runtime.GOOS)
