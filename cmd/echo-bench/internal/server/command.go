package server

import "time"

// StopTimeout bounds a server's drain after SIGTERM.
const StopTimeout = 10 * time.Second

// Command is how to start one server process.
type Command struct {
	// Engine names the server in messages.
	Engine string
	// Bin is the executable and Args its arguments.
	Bin  string
	Args []string
	// Env holds KEY=VALUE settings added to the server's environment
	// after GOMAXPROCS, so they win over it.
	Env []string
	// CPUs pin the server; GOMAXPROCS is set to their number (1 when
	// none).
	CPUs []int
	// LogPath receives the server's stderr.
	LogPath string
}
