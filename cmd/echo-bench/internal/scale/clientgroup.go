package scale

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/server"
)

// clientEvent is a line a client process wrote, or its exit.
type clientEvent struct {
	// i is the client's index.
	i int
	// line is the line, without its newline; exit is set instead when
	// the process has exited, with err how.
	line string
	exit bool
	err  error
}

// clientGroup is the parent's side of the client processes: their
// standard inputs, and one channel of what they write and when they
// exit.
type clientGroup struct {
	cmds    []*exec.Cmd
	stdins  []io.WriteCloser
	logs    []string
	events  chan clientEvent
	stop    chan struct{}
	readers sync.WaitGroup
	// results holds each client's result once it has written it.
	results []*ClientResult
}

// startClients starts one client process of exe per share, pinned to
// cpus, and writes each its share.
func startClients(exe string, shs []share, cpus []int, cfg *Config) (*clientGroup, error) {
	n := len(shs)
	g := &clientGroup{
		events:  make(chan clientEvent, 8*n),
		stop:    make(chan struct{}),
		results: make([]*ClientResult, n),
	}
	for i, sh := range shs {
		if err := g.start(exe, i, &sh, cpus, cfg); err != nil {
			g.close()
			return nil, fmt.Errorf("client %d: %w", i+1, err)
		}
	}
	return g, nil
}

// start starts client i and writes it its share.
func (g *clientGroup) start(exe string, i int, sh *share, cpus []int, cfg *Config) error {
	cmd := exec.Command(exe, ClientArgs...)
	// Without a log folder the client's errors go where this process's
	// go.
	log := ""
	cmd.Stderr = os.Stderr
	if cfg.LogDir != "" {
		log = cfg.logPath(fmt.Sprintf("client-scale-%s-%d.log", cfg.Engine, i+1))
		f, err := os.Create(log)
		if err != nil {
			return err
		}
		defer f.Close()
		cmd.Stderr = f
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := proc.StartPinned(cmd, cpus); err != nil {
		return err
	}
	g.cmds, g.stdins, g.logs = append(g.cmds, cmd), append(g.stdins, stdin), append(g.logs, log)
	g.readers.Go(func() { g.read(i, cmd, stdout) })
	b, err := json.Marshal(sh)
	if err != nil {
		return err
	}
	return g.send(i, string(b))
}

// read forwards client i's lines, then its exit, until close.
func (g *clientGroup) read(i int, cmd *exec.Cmd, stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	forward := func(e clientEvent) {
		select {
		case g.events <- e:
		case <-g.stop:
		}
	}
	for sc.Scan() {
		forward(clientEvent{i: i, line: sc.Text()})
	}
	// Wait closes the pipe, so it comes after the last read (os/exec:
	// StdoutPipe).
	_, _ = io.Copy(io.Discard, stdout)
	forward(clientEvent{i: i, exit: true, err: cmd.Wait()})
}

// name names client i for messages.
func (g *clientGroup) name(i int) string {
	return fmt.Sprintf("client %d (pid %d)", i+1, g.cmds[i].Process.Pid)
}

// send writes one line to client i.
func (g *clientGroup) send(i int, line string) error {
	if _, err := io.WriteString(g.stdins[i], line+"\n"); err != nil {
		return fmt.Errorf("%s: %w", g.name(i), err)
	}
	return nil
}

// sendAll writes one line to each client in who. A client that cannot
// read it has stopped: it has written its result or exited, and the next
// await or collect reports that with its cause, which a broken pipe here
// would hide.
func (g *clientGroup) sendAll(line string, who []int) {
	for _, i := range who {
		_ = g.send(i, line)
	}
}

// await returns once every client in who has written want. Anything
// else a client writes or does first fails it: a result (it stopped
// early), another line, or an exit.
func (g *clientGroup) await(ctx context.Context, want string, who []int) error {
	pending := make(map[int]bool, len(who))
	for _, i := range who {
		pending[i] = true
	}
	for len(pending) > 0 {
		e, err := g.next(ctx)
		if err != nil {
			return err
		}
		if e.line == want && pending[e.i] {
			delete(pending, e.i)
			continue
		}
		return g.unexpected(e, want)
	}
	return nil
}

// collect returns once every client has written its result and exited.
func (g *clientGroup) collect(ctx context.Context) error {
	for left := len(g.cmds); left > 0; {
		e, err := g.next(ctx)
		if err != nil {
			return err
		}
		switch {
		case e.exit && e.err == nil && g.results[e.i] != nil:
			left--
		case strings.HasPrefix(e.line, msgResult) && g.results[e.i] == nil:
			if err := g.parseResult(e); err != nil {
				return err
			}
		default:
			return g.unexpected(e, "its result")
		}
	}
	var errs []error
	for i, r := range g.results {
		if r.Error != "" {
			errs = append(errs, fmt.Errorf("%s: %s", g.name(i), r.Error))
		}
	}
	return errors.Join(errs...)
}

// next returns the next event, or an error when ctx ends first.
func (g *clientGroup) next(ctx context.Context) (clientEvent, error) {
	select {
	case e := <-g.events:
		return e, nil
	case <-ctx.Done():
		return clientEvent{}, fmt.Errorf("waiting for the client processes: %w", context.Cause(ctx))
	}
}

// parseResult keeps the result a client wrote.
func (g *clientGroup) parseResult(e clientEvent) error {
	var r ClientResult
	if err := json.Unmarshal([]byte(strings.TrimPrefix(e.line, msgResult)), &r); err != nil {
		return fmt.Errorf("%s: result: %w", g.name(e.i), err)
	}
	if err := r.decodeHists(); err != nil {
		return fmt.Errorf("%s: result: %w", g.name(e.i), err)
	}
	g.results[e.i] = &r
	return nil
}

// unexpected describes an event other than the one awaited as the
// failure of its client.
func (g *clientGroup) unexpected(e clientEvent, want string) error {
	who := g.name(e.i)
	switch {
	case e.exit:
		how := "exit status 0"
		if e.err != nil {
			how = e.err.Error()
		}
		if g.logs[e.i] != "" {
			how += "; see " + g.logs[e.i]
		}
		return fmt.Errorf("%s exited before writing %s (%s)", who, want, how)
	case strings.HasPrefix(e.line, msgResult):
		if err := g.parseResult(e); err != nil {
			return err
		}
		if msg := g.results[e.i].Error; msg != "" {
			return fmt.Errorf("%s: %s", who, msg)
		}
		return fmt.Errorf("%s stopped before writing %s", who, want)
	}
	return fmt.Errorf("%s wrote %q, want %s", who, e.line, want)
}

// close closes the clients' standard inputs, which stops any still
// running, waits for them to exit as long as a server is given to drain
// (server.StopTimeout), kills the rest and waits for them.
func (g *clientGroup) close() {
	close(g.stop)
	for _, w := range g.stdins {
		_ = w.Close()
	}
	exited := make(chan struct{})
	go func() {
		g.readers.Wait()
		close(exited)
	}()
	timer := time.NewTimer(server.StopTimeout)
	defer timer.Stop()
	select {
	case <-exited:
		return
	case <-timer.C:
	}
	for _, c := range g.cmds {
		_ = c.Process.Kill()
	}
	<-exited
}
