//go:build linux

package hostile

import (
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine/enginetest"
)

// EMFILE storm shape: connections kept open across the storm, the burst
// of connections the server has no descriptor for, how long the storm is
// watched, and the CPU share of one core the server may use meanwhile. A
// busy accept loop uses a whole core.
const (
	stormExisting = 4
	stormBurst    = 200
	stormWindow   = 1500 * time.Millisecond
	stormMaxCPU   = 0.30
	stormMaxLogs  = 60 // stderr lines during the window: rate-limited logging
)

// lowerNofile sets process pid's soft descriptor limit to n with
// prlimit(2) and returns a func that restores the old limit.
func lowerNofile(t tb, pid, n int) func() {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Fatalf("prlimit get: %v", err)
	}
	low := old
	low.Cur = uint64(n)
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &low, nil); err != nil {
		t.Fatalf("prlimit set: %v", err)
	}
	return func() { unix.Prlimit(pid, unix.RLIMIT_NOFILE, &old, nil) }
}

// emfileCase lowers the server process's descriptor limit with prlimit
// so that only a couple of connections more can be accepted, then opens a
// burst of connections. While accept fails with EMFILE the server must
// not spin (its CPU time over the window stays under stormMaxCPU of one
// core, and it logs at a bounded rate), connections opened before keep
// being served, and once the burst goes away the server accepts again
// by itself.
func emfileCase(t tb, x *env) {
	bin, _ := binaries(t)
	p := startProc(t, x, bin, "--addr", "127.0.0.1:0", "--log-level", "warn")
	existing := make([]net.Conn, stormExisting)
	for i := range existing {
		existing[i] = dial(t, p.addr)
		if err := echo(existing[i], ping); err != nil {
			t.Fatalf("echo before the storm: %v", err)
		}
	}
	restore := lowerNofile(t, p.pid, countFDs(p.pid)+2)
	t.Cleanup(restore)
	burst := make([]net.Conn, 0, stormBurst)
	closeBurst := func() {
		for _, c := range burst {
			c.Close()
		}
		burst = burst[:0]
	}
	t.Cleanup(closeBurst)
	for range stormBurst {
		c, err := net.DialTimeout("tcp", p.addr, patience)
		if err != nil {
			t.Fatalf("dial during the storm: %v", err)
		}
		burst = append(burst, c)
	}
	cpu0, logs0, began := cpuTime(p.pid), p.stderr.count(), time.Now()
	for time.Since(began) < stormWindow {
		for i, c := range existing {
			if err := echo(c, ping); err != nil {
				t.Fatalf("existing connection %d during the storm: %v", i, err)
			}
		}
		time.Sleep(100 * time.Millisecond) // pacing, not synchronisation
	}
	window := time.Since(began)
	used := cpuTime(p.pid) - cpu0
	logs := p.stderr.count() - logs0
	share := float64(used) / float64(window)
	x.note(t, "server CPU %.0f%% of a core and %d log lines over a %v EMFILE storm", 100*share, logs, window.Round(time.Millisecond))
	if share > stormMaxCPU {
		t.Errorf("server used %v CPU in %v with no descriptor to accept into: a busy accept loop", used, window)
	}
	if logs > stormMaxLogs {
		t.Errorf("server logged %d lines in %v of EMFILE: logging is not rate-limited", logs, window)
	}
	closeBurst()
	// The limit stays low: the server recovers because descriptors free
	// up, not because the limit rose.
	waitFor(t, "server did not accept again after the burst went away", func() bool {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		return echoWithin(c, ping, 2*time.Second) == nil
	})
	restore()
	_, totals := p.terminate(t, patience)
	if totals["accept"] == 0 {
		t.Errorf("totals count no failed accept: %v", totals)
	}
}

// echoWithin is echo with its own deadline.
func echoWithin(c net.Conn, msg []byte, wait time.Duration) error {
	c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	n := 0
	for n < len(got) {
		m, err := c.Read(got[n:])
		n += m
		if err != nil {
			return err
		}
	}
	if string(got) != string(msg) {
		return fmt.Errorf("echo differs")
	}
	return nil
}

// Max-conns shape: the limit, and connections opened at once.
const (
	capConns  = 8
	capOffers = 40
)

// maxConnsCase runs the server with --max-conns four descriptors below a
// lowered descriptor limit and opens a burst of connections while the
// server is stopped (SIGSTOP), so that all of them wait in the backlog
// when it resumes, more than
// either would allow if they were all kept: the first max-conns are
// served, the rest are closed at once and counted as rejected (one
// descriptor at a time suffices for that), accept never fails with
// EMFILE, and the server does not spin.
func maxConnsCase(t tb, x *env) {
	bin, _ := binaries(t)
	p := startProc(t, x, bin, "--addr", "127.0.0.1:0", "--max-conns", fmt.Sprint(capConns), "--log-level", "warn")
	t.Cleanup(lowerNofile(t, p.pid, countFDs(p.pid)+capConns+4))
	kept := make([]net.Conn, capConns)
	for i := range kept {
		kept[i] = dial(t, p.addr)
		if err := echo(kept[i], ping); err != nil {
			t.Fatalf("connection %d of %d: %v", i, capConns, err)
		}
	}
	cpu0, began := cpuTime(p.pid), time.Now()
	// Stop the server while the burst connects, so that every connection
	// of it waits in the listen backlog at once when the server resumes.
	if err := syscall.Kill(p.pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP: %v", err)
	}
	resume := func() { syscall.Kill(p.pid, syscall.SIGCONT) }
	t.Cleanup(resume)
	burst := make([]net.Conn, capOffers)
	for i := range burst {
		burst[i] = dial(t, p.addr)
	}
	resume()
	var wg sync.WaitGroup
	for i, c := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, err := readToEnd(c, patience); !enginetest.IsClosed(err) {
				t.Errorf("connection %d over --max-conns: %d bytes then %v, want it closed", i, n, err)
			}
		}()
	}
	wg.Wait()
	used, window := cpuTime(p.pid)-cpu0, time.Since(began)
	for i, c := range kept {
		if err := echo(c, ping); err != nil {
			t.Errorf("kept connection %d after the rejections: %v", i, err)
		}
	}
	if used >= 0 {
		x.note(t, "rejecting %d connections took %v CPU in %v", capOffers, used, window.Round(time.Millisecond))
	}
	if used > time.Duration(stormMaxCPU*float64(window))+100*time.Millisecond {
		t.Errorf("server used %v CPU in %v rejecting %d connections", used, window, capOffers)
	}
	_, totals := p.terminate(t, patience)
	if totals["rejected"] < capOffers || totals["accept"] != 0 {
		t.Errorf("totals %v: want rejected >= %d and accept = 0", totals, capOffers)
	}
}
