package main

import "golang.org/x/sys/unix"

// unixIoctlGetTermios reads the terminal attributes of fd; it fails for
// anything that is not a terminal.
func unixIoctlGetTermios(fd int) (*unix.Termios, error) {
	return unix.IoctlGetTermios(fd, unix.TCGETS)
}
