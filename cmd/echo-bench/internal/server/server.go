// Package server starts and stops the echo server processes echo-bench
// measures, for the matrix and the scale phase alike: a process pinned to
// CPUs, its address read from its listening line, what it prints as it
// stops kept, and its exit watched.
package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
)

// startTimeout bounds the wait for a server's listening line.
const startTimeout = 15 * time.Second

// Process is one server process under test.
type Process struct {
	// engine names it.
	engine string
	// addr is the host:port it listens on, read from its first line.
	addr string
	// listen is its first line, with the socket options it was granted.
	listen string
	cmd    *exec.Cmd
	exited chan struct{}
	// mu guards totals and waitErr.
	mu      sync.Mutex
	totals  []string
	waitErr error
}

// Start starts the server c describes and waits for its listening line.
func Start(c Command) (s *Process, err error) {
	bin, args, cpus, logPath := c.Bin, c.Args, c.CPUs, c.LogPath
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", max(len(cpus), 1)))
	cmd.Env = append(cmd.Env, c.Env...)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := proc.StartPinned(cmd, cpus); err != nil {
		return nil, fmt.Errorf("server: start %s: %w", bin, err)
	}
	s = &Process{engine: c.Engine, cmd: cmd, exited: make(chan struct{})}
	first := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		s.readStdout(stdout, first)
	}()
	go func() {
		// Wait closes the pipe, so it must come after the last read
		// (os/exec: StdoutPipe).
		<-read
		err := cmd.Wait()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(s.exited)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case line, ok := <-first:
		if !ok {
			<-s.exited
			return nil, fmt.Errorf("server: %s %s exited before listening (%v); see %s", bin, strings.Join(args, " "), s.Err(), logPath)
		}
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "listening" || f[1] != "on" {
			s.Kill()
			return nil, fmt.Errorf("server: %s printed %q, want \"listening on <net> <host:port> ...\"", bin, line)
		}
		s.addr, s.listen = f[3], line
		return s, nil
	case <-timer.C:
		s.Kill()
		return nil, fmt.Errorf("server: %s did not print its listening line within %v; see %s", bin, startTimeout, logPath)
	}
}

// readStdout hands the first line to first and keeps the rest (the totals
// printed at exit).
func (s *Process) readStdout(r io.Reader, first chan<- string) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		close(first)
		io.Copy(io.Discard, r)
		return
	}
	first <- sc.Text()
	for sc.Scan() {
		s.mu.Lock()
		s.totals = append(s.totals, sc.Text())
		s.mu.Unlock()
	}
}

// Addr is the host:port the server listens on, from its listening line.
func (s *Process) Addr() string { return s.addr }

// Listen is the server's listening line, with the socket options it was
// granted.
func (s *Process) Listen() string { return s.listen }

// Engine is the engine the server runs, as Command named it.
func (s *Process) Engine() string { return s.engine }

// PID is the server's process id.
func (s *Process) PID() int { return s.cmd.Process.Pid }

// Alive reports whether the process is still running.
func (s *Process) Alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Err is how the process ended, once it has; nil while it runs.
func (s *Process) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitErr
}

// Stop sends SIGTERM, waits up to timeout for a clean exit, and kills the
// process after that. It returns the lines the server printed after its
// listening line and an error unless it exited 0 in time.
func (s *Process) Stop(ctx context.Context, timeout time.Duration) ([]string, error) {
	if s.Alive() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var err error
	select {
	case <-s.exited:
		err = s.Err()
	case <-timer.C:
		s.Kill()
		err = fmt.Errorf("server: %s server did not exit within %v of SIGTERM", s.engine, timeout)
	case <-ctx.Done():
		s.Kill()
		err = ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totals, err
}

// Kill ends the process at once and waits for it.
func (s *Process) Kill() {
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return
	}
	<-s.exited
}
