//go:build unix

package std

import "syscall"

// readFD is read(2) on a non-blocking socket, retried on EINTR: a signal
// may interrupt the call before any byte moved (signal(7)).
func readFD(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// writeFD is write(2) on a non-blocking socket, retried on EINTR.
func writeFD(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Write(int(fd), p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}
