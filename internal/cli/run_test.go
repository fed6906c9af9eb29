package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine/all"
	"github.com/rawnet/rawnet/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

var (
	tcpCmd = Command{Name: "echo-tcp", Network: "tcp", DefaultAddr: "127.0.0.1:9000"}
	udpCmd = Command{Name: "echo-udp", Network: "udp", DefaultAddr: "127.0.0.1:9001"}
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runSync runs a command that is expected to exit at once.
func runSync(t *testing.T, cmd Command, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), cmd, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsNameTheFlag(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		args []string
		flag string
	}{
		{name: "bad size", cmd: tcpCmd, args: []string{"--max-frame", "lots"}, flag: "--max-frame"},
		{name: "unknown engine", cmd: tcpCmd, args: []string{"--engine", "nope"}, flag: "--engine"},
		{name: "unknown framing", cmd: tcpCmd, args: []string{"--framing", "xml"}, flag: "--framing"},
		{name: "bad header size", cmd: tcpCmd, args: []string{"--framing", "length", "--length-bytes", "3"}, flag: "--length-bytes"},
		{name: "unknown flag", cmd: tcpCmd, args: []string{"--frobnicate"}, flag: "--frobnicate"},
		{name: "negative loops", cmd: tcpCmd, args: []string{"--loops", "-1"}, flag: "--loops"},
		{name: "bad CPU list", cmd: tcpCmd, args: []string{"--cpu-affinity", "1-0"}, flag: "--cpu-affinity"},
		{name: "bad duration", cmd: tcpCmd, args: []string{"--idle-timeout", "soon"}, flag: "--idle-timeout"},
		{name: "bad addr", cmd: tcpCmd, args: []string{"--addr", "nowhere"}, flag: "--addr"},
		{name: "bad log level", cmd: tcpCmd, args: []string{"--log-level", "loud"}, flag: "--log-level"},
		{name: "stray argument", cmd: tcpCmd, args: []string{"9000"}, flag: "unexpected argument"},
		{name: "udp public bind", cmd: udpCmd, args: []string{"--addr", "0.0.0.0:0"}, flag: "--allow-public"},
		{name: "budget under frame limit", cmd: tcpCmd, args: []string{"--max-frame", "1MiB", "--input-budget", "64KiB"}, flag: "--input-budget"},
		{name: "udp zero buffer", cmd: udpCmd, args: []string{"--udp-buffer", "0"}, flag: "--udp-buffer"},
		{name: "tcp-only flag on udp", cmd: udpCmd, args: []string{"--max-conns", "3"}, flag: "--max-conns"},
		{name: "negative rate", cmd: udpCmd, args: []string{"--rate-limit", "-1"}, flag: "--rate-limit"},
		{name: "NaN rate", cmd: udpCmd, args: []string{"--rate-limit", "NaN"}, flag: "--rate-limit"},
		{name: "rate over the maximum", cmd: udpCmd, args: []string{"--rate-limit", "2e9"}, flag: "--rate-limit"},
		{name: "rate under the minimum", cmd: udpCmd, args: []string{"--rate-limit", "0.0001"}, flag: "--rate-limit"},
		{name: "not a number", cmd: udpCmd, args: []string{"--rate-limit", "fast"}, flag: "--rate-limit"},
		{name: "negative burst", cmd: udpCmd, args: []string{"--rate-limit", "10", "--rate-burst", "-1"}, flag: "--rate-burst"},
		{name: "burst without a rate", cmd: udpCmd, args: []string{"--rate-burst", "10"}, flag: "--rate-burst"},
		{name: "rate limit on tcp", cmd: tcpCmd, args: []string{"--rate-limit", "10"}, flag: "--rate-limit"},
		{name: "burst on tcp", cmd: tcpCmd, args: []string{"--rate-burst", "10"}, flag: "--rate-burst"},
		{name: "pprof without metrics", cmd: tcpCmd, args: []string{"--pprof"}, flag: "--pprof"},
		{name: "unknown log format", cmd: tcpCmd, args: []string{"--log-format", "xml"}, flag: "--log-format"},
		{name: "bad metrics address", cmd: udpCmd, args: []string{"--metrics-addr", "1:2:3"}, flag: "--metrics-addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runSync(t, tt.cmd, tt.args...)
			if code != ExitUsage {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, ExitUsage, stderr)
			}
			first, _, _ := strings.Cut(stderr, "\n")
			if !strings.HasPrefix(first, tt.cmd.Name+": ") || !strings.Contains(first, tt.flag) {
				t.Errorf("first stderr line %q does not name %s", first, tt.flag)
			}
			if !strings.Contains(stderr, "Usage: "+tt.cmd.Name) {
				t.Errorf("stderr lacks the usage text")
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

func TestHelpVersionAndEngineList(t *testing.T) {
	code, stdout, _ := runSync(t, tcpCmd, "--help")
	if code != ExitOK || !strings.Contains(stdout, "--framing") || !strings.Contains(stdout, "Examples:") {
		t.Errorf("--help: exit %d, stdout:\n%s", code, stdout)
	}
	code, stdout, _ = runSync(t, udpCmd, "--help")
	if code != ExitOK || !strings.Contains(stdout, "--udp-buffer") || strings.Contains(stdout, "--nodelay") {
		t.Errorf("echo-udp --help: exit %d, stdout:\n%s", code, stdout)
	}
	code, stdout, _ = runSync(t, tcpCmd, "--version")
	if code != ExitOK || !strings.HasPrefix(stdout, "echo-tcp "+Version+" (go") {
		t.Errorf("--version: exit %d, stdout %q", code, stdout)
	}
	code, stdout, _ = runSync(t, tcpCmd, "--list-engines")
	if code != ExitOK || !strings.Contains(stdout, "std\n") {
		t.Errorf("--list-engines: exit %d, stdout %q", code, stdout)
	}
}

// server is a Run call serving in the background.
type server struct {
	addr   string
	line   string
	stdout chan string
	stderr *lockedBuffer
	cancel context.CancelFunc
	code   chan int
}

// startRun starts Run with args and waits for its listening line.
func startRun(t *testing.T, cmd Command, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{stdout: make(chan string, 16), stderr: &lockedBuffer{}, cancel: cancel, code: make(chan int, 1)}
	go func() {
		s.code <- Run(ctx, cmd, args, pw, s.stderr)
		pw.Close()
	}()
	go func() {
		defer close(s.stdout)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.stdout <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel()
		for range s.stdout {
		}
	})
	select {
	case s.line = <-s.stdout:
	case <-time.After(10 * time.Second):
		t.Fatalf("no listening line; stderr:\n%s", s.stderr)
	}
	fields := strings.Fields(s.line)
	if len(fields) < 4 || fields[0] != "listening" || fields[1] != "on" || fields[2] != cmd.Network {
		t.Fatalf("listening line %q", s.line)
	}
	s.addr = fields[3]
	return s
}

// stop cancels the run and returns its exit code and remaining stdout.
func (s *server) stop(t *testing.T) (int, string) {
	t.Helper()
	s.cancel()
	var rest []string
	for l := range s.stdout {
		rest = append(rest, l)
	}
	return <-s.code, strings.Join(rest, "\n")
}

func TestServeLinesThenShutDown(t *testing.T) {
	s := startRun(t, tcpCmd, "--addr", "127.0.0.1:0", "--framing", "line", "--rcvbuf", "128KiB")
	for _, want := range []string{"engine=" + all.Default, "framing=line", "rcvbuf=131072/", "nodelay=on", "reuseaddr=on"} {
		if !strings.Contains(s.line, want) {
			t.Errorf("listening line %q lacks %q", s.line, want)
		}
	}
	c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "hello\nworld\n"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 12)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "hello\nworld\n" {
		t.Fatalf("echo = %q, %v", got, err)
	}
	code, rest := s.stop(t)
	if code != ExitOK {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, s.stderr)
	}
	if !strings.Contains(rest, "totals: accepted=1") || !strings.Contains(rest, "frames=2") {
		t.Errorf("totals line missing or wrong: %q", rest)
	}
}

func TestOversizedLengthHeaderClosesOnlyThatConnection(t *testing.T) {
	s := startRun(t, tcpCmd, "--addr", "127.0.0.1:0", "--framing", "length", "--max-frame", "1KiB")
	good, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	bad, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	bad.SetDeadline(time.Now().Add(5 * time.Second))
	hdr := binary.BigEndian.AppendUint32(nil, 4096)
	if _, err := bad.Write(hdr); err != nil {
		t.Fatal(err)
	}
	if n, err := bad.Read(make([]byte, 16)); err == nil {
		t.Fatalf("read %d bytes from a connection that sent an oversized header, want it closed", n)
	}
	good.SetDeadline(time.Now().Add(5 * time.Second))
	msg := append(binary.BigEndian.AppendUint32(nil, 3), "abc"...)
	if _, err := good.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(good, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("other connection echo = %q, %v", got, err)
	}
	code, rest := s.stop(t)
	if code != ExitOK {
		t.Errorf("exit code %d", code)
	}
	if !strings.Contains(s.stderr.String(), "frame exceeds limit") {
		t.Errorf("stderr lacks the reason:\n%s", s.stderr)
	}
	if !strings.Contains(rest, "frame=1") {
		t.Errorf("totals do not count the frame error: %q", rest)
	}
}

func TestUDPEchoAndStatsJSON(t *testing.T) {
	s := startRun(t, udpCmd, "--addr", "127.0.0.1:0", "--loops", "1", "--stats-json")
	c, err := net.Dial("udp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	var n int
	// UDP on loopback may drop under load; retry a bounded number of times.
	for try := 0; try < 5; try++ {
		c.Write([]byte("ping"))
		c.SetReadDeadline(time.Now().Add(time.Second))
		if n, err = c.Read(buf); err == nil {
			break
		}
	}
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("udp echo = %q, %v", buf[:n], err)
	}
	code, rest := s.stop(t)
	if code != ExitOK || !strings.Contains(rest, `"type":"totals"`) || !strings.Contains(rest, `"frames":`) {
		t.Errorf("exit %d, totals %q", code, rest)
	}
}

// TestDeferWritesStated checks that the listening line says whether the
// epoll engine holds small echoes (--defer-writes, on by default), and
// that it still echoes byte for byte either way; other engines say
// nothing of it.
func TestDeferWritesStated(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--engine", "epoll"}, " defer-writes=on "},
		{[]string{"--engine", "epoll", "--defer-writes=false"}, " defer-writes=off "},
		{[]string{"--engine", "std", "--defer-writes=false"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			s := startRun(t, tcpCmd, append([]string{"--addr", "127.0.0.1:0", "--framing", "line"}, tc.args...)...)
			if tc.want != "" && !strings.Contains(s.line, tc.want) {
				t.Errorf("listening line %q does not say %q", s.line, strings.TrimSpace(tc.want))
			}
			if tc.want == "" && strings.Contains(s.line, "defer-writes") {
				t.Errorf("listening line %q speaks of defer-writes for an engine without the choice", s.line)
			}
			c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c, "one\ntwo\n"); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, 8)
			if _, err := io.ReadFull(c, got); err != nil || string(got) != "one\ntwo\n" {
				t.Fatalf("echo %q, %v; want %q", got, err, "one\ntwo\n")
			}
		})
	}
}
