//go:build !unix

package std

import "errors"

// errUnsupported is returned by raw socket I/O outside Unix.
var errUnsupported = errors.New("engine/std: raw socket I/O unsupported on this system")

// readFD returns errUnsupported outside Unix.
func readFD(fd uintptr, p []byte) (int, error) { return 0, errUnsupported }

// writeFD returns errUnsupported outside Unix.
func writeFD(fd uintptr, p []byte) (int, error) { return 0, errUnsupported }
