package matrix

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

	"github.com/rawnet/rawnet/bench/proc"
)

// startTimeout bounds the wait for a server's listening line.
const startTimeout = 15 * time.Second

// server is one server process under test.
type server struct {
	// engine and network identify it.
	engine, network string
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

// startServer starts bin with args pinned to cpus, env added to its
// environment, and waits for its listening line. Its stderr goes to
// logPath.
func startServer(engine, network, bin string, args, env []string, cpus []int, logPath string) (s *server, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", max(len(cpus), 1)))
	cmd.Env = append(cmd.Env, env...)
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
		return nil, fmt.Errorf("matrix: start %s: %w", bin, err)
	}
	s = &server{engine: engine, network: network, cmd: cmd, exited: make(chan struct{})}
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
			return nil, fmt.Errorf("matrix: %s %s exited before listening (%v); see %s", bin, strings.Join(args, " "), s.err(), logPath)
		}
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "listening" || f[1] != "on" {
			s.kill()
			return nil, fmt.Errorf("matrix: %s printed %q, want \"listening on <net> <host:port> ...\"", bin, line)
		}
		s.addr, s.listen = f[3], line
		return s, nil
	case <-timer.C:
		s.kill()
		return nil, fmt.Errorf("matrix: %s did not print its listening line within %v; see %s", bin, startTimeout, logPath)
	}
}

// readStdout hands the first line to first and keeps the rest (the totals
// printed at exit).
func (s *server) readStdout(r io.Reader, first chan<- string) {
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

// pid is the server's process id.
func (s *server) pid() int { return s.cmd.Process.Pid }

// alive reports whether the process is still running.
func (s *server) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// err is how the process ended, once it has.
func (s *server) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitErr
}

// stop sends SIGTERM, waits up to timeout for a clean exit, and kills the
// process after that. It returns the lines the server printed after its
// listening line and an error unless it exited 0 in time.
func (s *server) stop(ctx context.Context, timeout time.Duration) ([]string, error) {
	if s.alive() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var err error
	select {
	case <-s.exited:
		err = s.err()
	case <-timer.C:
		s.kill()
		err = fmt.Errorf("matrix: %s server did not exit within %v of SIGTERM", s.engine, timeout)
	case <-ctx.Done():
		s.kill()
		err = ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totals, err
}

// kill ends the process at once and waits for it.
func (s *server) kill() {
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return
	}
	<-s.exited
}
