//go:build linux

package hostile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// floodEnv turns the test binary into the flooding client of
// starvation/process (TestMain checks it): its value is the address of
// the server to flood.
const floodEnv = "RAWNET_HOSTILE_FLOODER"

// Flooder bounds: the echo it waits for before it says the flood flows,
// and how long it may live whatever its parent does.
const (
	floodWarm = 16 << 20
	floodLife = 3 * time.Minute
)

// floodMain is the flooder process. It writes floodChunk blocks to addr
// as fast as the connection takes them and reads the echo in another
// goroutine, so backpressure never stops it. It prints "flowing" once
// floodWarm bytes came back, then obeys one command per line on stdin,
// answering each with one line:
//
//	count   echoed N: the bytes of echo read so far
//	pause   paused: it stopped writing and everything sent came back
//	resume  flowing: it writes again and floodWarm more bytes came back
//
// At the end of stdin it half-closes, reads the rest of the echo, prints
// "done echoed N" and exits 0. Any error, or floodLife passing, exits 1.
//
// It is a process of its own so that its two busy goroutines share no Go
// scheduler with the ping-pong clients whose latency the case measures:
// in one process they would decide the tail as much as the server does.
func floodMain(addr string) int {
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "flooder: %v\n", err)
		return 1
	}
	nc, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		return fail(err)
	}
	c := nc.(*net.TCPConn)
	defer c.Close()

	var sent atomic.Int64
	echoed := &progress{}
	// run carries the writer's orders: true to write, false to pause;
	// closing it ends the flood. acks answers each order once obeyed.
	run := make(chan bool)
	acks := make(chan struct{})
	wrote := make(chan error, 1)
	go func() {
		buf := make([]byte, floodChunk)
		writing := true
		for {
			if writing {
				select {
				case w, ok := <-run:
					if !ok {
						wrote <- c.CloseWrite()
						return
					}
					writing = w
					acks <- struct{}{}
					continue
				default:
				}
				c.SetWriteDeadline(time.Now().Add(patience))
				n, err := c.Write(buf)
				sent.Add(int64(n))
				if err != nil {
					wrote <- fmt.Errorf("write: %w", err)
					return
				}
				continue
			}
			w, ok := <-run
			if !ok {
				wrote <- c.CloseWrite()
				return
			}
			writing = w
			acks <- struct{}{}
		}
	}()
	read := make(chan error, 1)
	go func() {
		buf := make([]byte, floodChunk)
		// The echo stops while the flood pauses, for as long as the
		// test measures the idle server.
		c.SetReadDeadline(time.Now().Add(floodLife))
		for {
			n, err := c.Read(buf)
			echoed.add(int64(n))
			if err != nil {
				read <- err
				return
			}
		}
	}()
	cmds := make(chan string)
	go func() {
		s := bufio.NewScanner(os.Stdin)
		for s.Scan() {
			cmds <- s.Text()
		}
		close(cmds)
	}()
	life := time.NewTimer(floodLife)
	defer life.Stop()
	// await waits until the echo reaches target, or for the first error.
	await := func(target int64) error {
		select {
		case <-echoed.reach(target):
			return nil
		case err := <-wrote:
			return err
		case err := <-read:
			return fmt.Errorf("read: %w", err)
		case <-life.C:
			return fmt.Errorf("still running after %v", floodLife)
		}
	}
	if err := await(floodWarm); err != nil {
		return fail(err)
	}
	fmt.Println("flowing")
	for {
		select {
		case cmd, ok := <-cmds:
			if !ok {
				close(run)
				if err := <-wrote; err != nil {
					return fail(err)
				}
				if err := <-read; !errors.Is(err, io.EOF) {
					return fail(fmt.Errorf("read after half-close: %w, want EOF", err))
				}
				fmt.Printf("done echoed %d\n", echoed.load())
				return 0
			}
			switch cmd {
			case "count":
				fmt.Printf("echoed %d\n", echoed.load())
			case "pause":
				run <- false
				<-acks
				if err := await(sent.Load()); err != nil {
					return fail(err)
				}
				fmt.Println("paused")
			case "resume":
				target := echoed.load() + floodWarm
				run <- true
				<-acks
				if err := await(target); err != nil {
					return fail(err)
				}
				fmt.Println("flowing")
			default:
				return fail(fmt.Errorf("unknown command %q", cmd))
			}
		case err := <-wrote:
			return fail(err)
		case err := <-read:
			return fail(fmt.Errorf("read: %w", err))
		case <-life.C:
			return fail(fmt.Errorf("still running after %v", floodLife))
		}
	}
}

// progress counts bytes and tells a waiter when the count reaches its
// target.
type progress struct {
	mu     sync.Mutex
	n      int64
	target int64
	done   chan struct{} // closed once n reaches target; nil if no waiter
}

// add counts n more bytes.
func (p *progress) add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += n
	if p.done != nil && p.n >= p.target {
		close(p.done)
		p.done = nil
	}
}

// load returns the count.
func (p *progress) load() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// reach returns a channel closed once the count reaches target; one
// waiter at a time.
func (p *progress) reach(target int64) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := make(chan struct{})
	if p.n >= target {
		close(done)
		return done
	}
	p.target, p.done = target, done
	return done
}

// flooder is a running flooder process, seen from the test.
type flooder struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	lines  chan string   // its stdout, line by line; closed at EOF
	stderr lines         // what it reported on stderr
	exited chan struct{} // closed once Wait has returned
	err    error         // Wait's error, once exited is closed
}

// startFlooder starts the test binary as a flooder of addr, under the
// SCHED_IDLE policy and through taskset on cpus unless cpus is empty, and
// waits until the flood flows. The process is killed when the case ends
// if it is still running.
//
// A client that wakes on the flooder's CPU preempts a SCHED_IDLE task at
// once (sched(7)). Against a flooder at nice 19 it may wait for the rest
// of the flooder's time slice, milliseconds under EEVDF, and every engine
// then looked unfair by that much (docs/perf/README.md, "Fairness under a
// flood").
func startFlooder(t tb, addr, cpus string) *flooder {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("test binary: %v", err)
	}
	args := []string{"chrt", "--idle", "0", self, "-test.run=^$"}
	if cpus != "" {
		args = append([]string{"taskset", "--cpu-list", cpus}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), floodEnv+"="+addr)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("flooder stdin: %v", err)
	}
	outR, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("flooder stdout: %v", err)
	}
	errR, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("flooder stderr: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start flooder: %v", err)
	}
	f := &flooder{cmd: cmd, in: in, lines: make(chan string, 16), exited: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(f.lines)
		s := bufio.NewScanner(outR)
		for s.Scan() {
			f.lines <- s.Text()
		}
		io.Copy(io.Discard, outR)
	}()
	go collect(errR, &f.stderr, &wg)
	go func() {
		// Wait must follow the last read of the pipes (os/exec, StdoutPipe).
		wg.Wait()
		f.err = cmd.Wait()
		close(f.exited)
	}()
	t.Cleanup(f.kill)
	if line := f.next(t); line != "flowing" {
		t.Fatalf("flooder said %q, want flowing", line)
	}
	return f
}

// next returns the flooder's next line, waiting up to patience.
func (f *flooder) next(t tb) string {
	t.Helper()
	select {
	case line, ok := <-f.lines:
		if ok {
			return line
		}
		<-f.exited
		t.Fatalf("flooder ended (%v); stderr: %q", f.err, f.stderr.all())
	case <-time.After(patience):
		t.Fatalf("flooder silent for %v; stderr: %q", patience, f.stderr.all())
	}
	return ""
}

// echoed returns how many bytes of echo the flooder has read so far.
func (f *flooder) echoed(t tb) int64 {
	t.Helper()
	if _, err := io.WriteString(f.in, "count\n"); err != nil {
		t.Fatalf("asking the flooder: %v", err)
	}
	line := f.next(t)
	n, err := strconv.ParseInt(strings.TrimPrefix(line, "echoed "), 10, 64)
	if err != nil {
		t.Fatalf("flooder said %q, want echoed N", line)
	}
	return n
}

// pause stops the flood and waits until everything sent came back.
func (f *flooder) pause(t tb) {
	t.Helper()
	f.order(t, "pause", "paused")
}

// resume restarts the flood and waits until it flows again.
func (f *flooder) resume(t tb) {
	t.Helper()
	f.order(t, "resume", "flowing")
}

// order sends cmd and expects the answer want.
func (f *flooder) order(t tb, cmd, want string) {
	t.Helper()
	if _, err := io.WriteString(f.in, cmd+"\n"); err != nil {
		t.Fatalf("ordering the flooder to %s: %v", cmd, err)
	}
	if line := f.next(t); line != want {
		t.Fatalf("flooder answered %s with %q, want %q", cmd, line, want)
	}
}

// stop ends the flood: the flooder half-closes, reads the rest of its
// echo and must exit 0.
func (f *flooder) stop(t tb) {
	t.Helper()
	f.in.Close()
	if line := f.next(t); !strings.HasPrefix(line, "done ") {
		t.Errorf("flooder said %q, want done", line)
	}
	select {
	case <-f.exited:
	case <-time.After(patience):
		t.Fatalf("flooder still running %v after its flood ended", patience)
	}
	if f.err != nil {
		t.Errorf("flooder exit: %v; stderr: %q", f.err, f.stderr.all())
	}
}

// kill ends the process if it is running and waits for it.
func (f *flooder) kill() {
	select {
	case <-f.exited:
		return
	default:
	}
	f.cmd.Process.Kill()
	<-f.exited
}
