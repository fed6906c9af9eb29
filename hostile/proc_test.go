//go:build linux

package hostile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine/enginetest"
)

// Binaries built once per run by binaries, removed by removeBinaries.
var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// binEnv names a folder holding echo-tcp and echo-udp to attack instead
// of building them, to measure binaries of another version.
const binEnv = "RAWNET_HOSTILE_BIN"

// binaries builds cmd/echo-tcp, cmd/echo-udp and cmd/relay-tcp into a
// temporary directory, once per run, and returns their paths; with binEnv set it
// returns the binaries in that folder instead.
func binaries(t tb) (tcp, udp string) {
	t.Helper()
	if dir := os.Getenv(binEnv); dir != "" {
		tcp, udp = filepath.Join(dir, "echo-tcp"), filepath.Join(dir, "echo-udp")
		for _, p := range []string{tcp, udp} {
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("%s=%s: %v", binEnv, dir, err)
			}
		}
		return tcp, udp
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "rawnet-hostile-")
		if buildErr != nil {
			return
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go command builds the binaries under test: %w", err)
			return
		}
		cmd := exec.Command(goBin, "build", "-o", buildDir+string(filepath.Separator), "./cmd/echo-tcp", "./cmd/echo-udp", "./cmd/relay-tcp")
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/echo-tcp ./cmd/echo-udp ./cmd/relay-tcp: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("%v", buildErr)
	}
	return filepath.Join(buildDir, "echo-tcp"), filepath.Join(buildDir, "echo-udp")
}

// relayBinary returns the path of relay-tcp, built with the others; with
// binEnv set, the one in that folder, and skips t when that has none.
func relayBinary(t *testing.T) string {
	t.Helper()
	tcp, _ := binaries(t)
	bin := filepath.Join(filepath.Dir(tcp), "relay-tcp")
	if _, err := os.Stat(bin); err != nil && os.Getenv(binEnv) != "" {
		t.Skipf("%s has no relay-tcp: %v", binEnv, err)
	}
	return bin
}

// removeBinaries removes what binaries built.
func removeBinaries() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// proc is a running echo-tcp or echo-udp.
type proc struct {
	cmd    *exec.Cmd
	pid    int
	addr   string // the address the listening line reports
	stdout lines
	stderr lines
	exited chan struct{} // closed once Wait has returned
	err    error         // Wait's error, once exited is closed
}

// lines collects a stream's lines, safe for a writer and readers.
type lines struct {
	mu sync.Mutex
	l  []string
}

// add appends one line.
func (l *lines) add(s string) {
	l.mu.Lock()
	l.l = append(l.l, s)
	l.mu.Unlock()
}

// all returns the lines so far.
func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.l...)
}

// count returns how many lines arrived so far.
func (l *lines) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.l)
}

// find returns the first line starting with prefix.
func (l *lines) find(prefix string) (string, bool) {
	for _, s := range l.all() {
		if strings.HasPrefix(s, prefix) {
			return s, true
		}
	}
	return "", false
}

// startProc runs bin with args (plus --engine for x's engine) and waits
// for its listening line. The process is killed when the case ends if it
// is still running.
func startProc(t tb, x *env, bin string, args ...string) *proc {
	t.Helper()
	return startCmd(t, exec.Command(bin, append([]string{"--engine", x.name}, args...)...))
}

// startCmd starts cmd, collects its output and waits for the listening
// line.
func startCmd(t tb, cmd *exec.Cmd) *proc {
	t.Helper()
	outR, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	errR, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("stderr pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	p := &proc{cmd: cmd, pid: cmd.Process.Pid, exited: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	go collect(outR, &p.stdout, &wg)
	go collect(errR, &p.stderr, &wg)
	go func() {
		// Wait must follow the last read of the pipes (os/exec, StdoutPipe).
		wg.Wait()
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			for _, s := range p.stderr.all() {
				t.Logf("server stderr: %s", s)
			}
		}
	})
	var line string
	ok := enginetest.PollUntil(patience, func() bool {
		if line, _ = p.stdout.find("listening on "); line != "" {
			return true
		}
		select {
		case <-p.exited:
			return true
		default:
			return false
		}
	})
	if !ok || line == "" {
		p.kill()
		t.Fatalf("%s printed no listening line (exit: %v); stderr: %q", cmd.Path, p.err, p.stderr.all())
	}
	// listening on <proto> <host:port> engine=...
	f := strings.Fields(line)
	if len(f) < 4 {
		t.Fatalf("listening line %q: want 'listening on <proto> <host:port> ...'", line)
	}
	p.addr = f[3]
	return p
}

// collect reads r line by line into l until EOF.
func collect(r io.Reader, l *lines, wg *sync.WaitGroup) {
	defer wg.Done()
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		l.add(s.Text())
	}
	// Drain what a line too long for the scanner left, so the process
	// never blocks on a full pipe.
	io.Copy(io.Discard, r)
}

// kill ends the process if it is running and waits for it.
func (p *proc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.exited
}

// terminate sends SIGTERM and waits up to within for the process to exit.
// It returns how long the exit took and the totals line's counters.
func (p *proc) terminate(t tb, within time.Duration) (time.Duration, map[string]uint64) {
	t.Helper()
	began := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(within):
		p.kill()
		t.Fatalf("server still running %v after SIGTERM", within)
	}
	took := time.Since(began)
	if p.err != nil {
		t.Errorf("server exit after SIGTERM: %v, want status 0", p.err)
	}
	line, ok := p.stdout.find("totals: ")
	if !ok {
		t.Errorf("no totals line after SIGTERM; stdout: %q", p.stdout.all())
		return took, nil
	}
	return took, parseCounters(line)
}

// parseCounters reads the key=value pairs of a stats or totals line.
func parseCounters(line string) map[string]uint64 {
	m := make(map[string]uint64)
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			m[k] = n
		}
	}
	return m
}

// countFDs returns the number of open descriptors of process pid, or -1
// if /proc cannot tell.
func countFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// rss returns the resident set size of process pid in bytes
// (proc_pid_status(5), VmRSS), or -1.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat;
// it is 100 on every Linux architecture Go supports (proc_pid_stat(5),
// sysconf(_SC_CLK_TCK)).
const clockTicks = 100

// cpuTime returns the user plus system CPU time process pid has used
// (proc_pid_stat(5), fields 14 and 15), or -1.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The command name in field 2 may hold spaces; fields after it
	// start past its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so utime (14) is f[11] and stime f[12].
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(u+s) * time.Second / clockTicks
}
