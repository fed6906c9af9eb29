//go:build !linux

package main

import "errors"

// unixIoctlGetTermios reports that terminal detection is unsupported, so
// no progress bar is drawn.
func unixIoctlGetTermios(fd int) (struct{}, error) {
	return struct{}{}, errors.New("unsupported")
}
