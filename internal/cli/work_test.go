package cli

import (
	"encoding/json"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestWorkFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		work string
		want string // part of the first stderr line besides the flag's name
	}{
		{name: "unknown kind", cmd: tcpCmd, work: "io:5ms", want: `unknown kind "io"`},
		{name: "no duration", cmd: tcpCmd, work: "sleep", want: "want KIND:DURATION"},
		{name: "no unit", cmd: udpCmd, work: "sleep:20", want: "missing unit"},
		{name: "zero", cmd: tcpCmd, work: "sleep:0s", want: "must be over 0"},
		{name: "share without %", cmd: tcpCmd, work: "sleep:5ms@1", want: "must end with %"},
		{name: "share over 100", cmd: udpCmd, work: "sleep:5ms@150%", want: "at most 100%"},
		{name: "bad second term", cmd: tcpCmd, work: "sleep:1ms,nap:1ms", want: `term "nap:1ms"`},
		{name: "seed not a number", cmd: tcpCmd, work: "", want: "--work-seed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"--work", tt.work}
			flag := "--work"
			if tt.work == "" {
				args, flag = []string{"--work-seed", "many"}, "--work-seed"
			}
			code, stdout, stderr := runSync(t, tt.cmd, args...)
			first, _, _ := strings.Cut(stderr, "\n")
			if code != ExitUsage || !strings.Contains(first, flag) || !strings.Contains(first, tt.want) {
				t.Errorf("exit %d, first stderr line %q; want %d, naming %s and saying %q", code, first, ExitUsage, flag, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

// TestWorkStated checks that the listening line and the JSON totals state
// the work, and that the echo is exact with it on.
func TestWorkStated(t *testing.T) {
	spec := "sleep:1ms,sleep:2ms@50%"
	want := "work=sleep:1ms,sleep:2ms@50% work-seed=7"
	if runtime.GOOS == "linux" {
		spec = "cpu:20µs, sleep:1ms@50%"
		want = "work=cpu:20us,sleep:1ms@50% work-seed=7"
	}
	s := startRun(t, tcpCmd, "--addr", "127.0.0.1:0", "--framing", "line", "--work", spec, "--work-seed", "7", "--stats-json")
	if !strings.Contains(s.line, want) {
		t.Errorf("listening line %q lacks %q", s.line, want)
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
		t.Fatalf("exit code %d; stderr:\n%s", code, s.stderr)
	}
	var rec statsRecord
	if err := json.Unmarshal([]byte(rest), &rec); err != nil {
		t.Fatalf("totals %q: %v", rest, err)
	}
	if rec.Type != "totals" || "work="+rec.Work+" work-seed=7" != want || rec.WorkSeed != 7 || rec.Stats.Frames != 2 {
		t.Errorf("totals: type %q, work %q, seed %d, frames %d; want totals, %q, 2 frames", rec.Type, rec.Work, rec.WorkSeed, rec.Stats.Frames, want)
	}
}

func TestNoWorkStated(t *testing.T) {
	s := startRun(t, udpCmd, "--addr", "127.0.0.1:0", "--loops", "1")
	if !strings.Contains(s.line, " work=none ") {
		t.Errorf("listening line %q does not say work=none", s.line)
	}
	if code, _ := s.stop(t); code != ExitOK {
		t.Errorf("exit code %d", code)
	}
}

func TestWorkerFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		args []string
		flag string
	}{
		{name: "negative workers", cmd: tcpCmd, args: []string{"--workers", "-2"}, flag: "--workers"},
		{name: "workers not a number", cmd: udpCmd, args: []string{"--workers", "many"}, flag: "--workers"},
		{name: "unknown kind", cmd: tcpCmd, args: []string{"--worker-kind", "fiber"}, flag: "--worker-kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runSync(t, tt.cmd, tt.args...)
			first, _, _ := strings.Cut(stderr, "\n")
			if code != ExitUsage || !strings.Contains(first, tt.flag) {
				t.Errorf("exit %d, first stderr line %q; want %d naming %s", code, first, ExitUsage, tt.flag)
			}
		})
	}
}

// TestPoolWorkersStated checks that the pool engine's listening line
// states its workers, and that it echoes with goroutine workers.
func TestPoolWorkersStated(t *testing.T) {
	s := startRun(t, tcpCmd, "--addr", "127.0.0.1:0", "--engine", "pool", "--workers", "3", "--worker-kind", "goroutine", "--framing", "line")
	if !strings.Contains(s.line, " workers=3 worker-kind=goroutine ") {
		t.Errorf("listening line %q does not state the workers", s.line)
	}
	c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "one\ntwo\n"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 8)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "one\ntwo\n" {
		t.Fatalf("echo = %q, %v", got, err)
	}
	if code, _ := s.stop(t); code != ExitOK {
		t.Errorf("exit code %d", code)
	}
}
