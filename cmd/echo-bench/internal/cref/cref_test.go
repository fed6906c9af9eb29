package cref

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rawnet/rawnet/bench"
)

// refServer is a running reference server.
type refServer struct {
	cmd   *exec.Cmd
	lines *bufio.Scanner
	addr  string
}

// startRef builds the reference server and starts it with args, on an
// ephemeral loopback port, and checks its listening line names network.
func startRef(t *testing.T, ctx context.Context, network string, args ...string) *refServer {
	t.Helper()
	if _, err := Compiler(); errors.Is(err, ErrNoCompiler) {
		t.Skip(err)
	}
	return startServer(t, ctx, Build, Name, network, args...)
}

// startServer builds a reference server with build and starts it with
// args, on an ephemeral loopback port, and checks its listening line
// names network and engine.
func startServer(t *testing.T, ctx context.Context, build func(context.Context, string) error, engine, network string, args ...string) *refServer {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "echo-"+engine)
	if err := build(ctx, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatal("no listening line")
	}
	fields := strings.Fields(lines.Text())
	if len(fields) < 5 || fields[0] != "listening" || fields[2] != network || fields[4] != "engine="+engine {
		t.Fatalf("unexpected first line %q", lines.Text())
	}
	return &refServer{cmd: cmd, lines: lines, addr: fields[3]}
}

// stop sends SIGTERM and returns the totals line the server prints.
func (s *refServer) stop(t *testing.T) string {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !s.lines.Scan() || !strings.HasPrefix(s.lines.Text(), "totals:") {
		t.Fatalf("no totals line after SIGTERM: %q", s.lines.Text())
	}
	totals := s.lines.Text()
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	return totals
}

func TestReferenceServerEchoes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := startRef(t, ctx, "tcp")
	res, err := bench.Run(ctx, bench.Config{Addr: s.addr, Conns: 4, Depth: 4,
		Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond, HoldCPU: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages == 0 {
		t.Fatal("no echoes")
	}
	s.stop(t)
}

func TestReferenceServerEchoesUDP(t *testing.T) {
	const (
		sockets = 4
		count   = 500
		size    = 64
	)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := startRef(t, ctx, "udp", "--udp", "--rcvbuf", "262144")
	// A second of loss timeout: no loopback echo takes that long, so any
	// loss is the server's.
	res, err := bench.Run(ctx, bench.Config{Network: "udp", Addr: s.addr, Conns: sockets, Depth: 4,
		Count: count, Timeout: time.Second, HoldCPU: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.UDP == nil || res.UDP.Received != sockets*count || res.UDP.Lost != 0 {
		t.Fatalf("udp accounting %+v, want all %d datagrams echoed", res.UDP, sockets*count)
	}
	want := fmt.Sprintf("totals: datagrams=%d bytes_in=%d bytes_out=%d dropped=0",
		sockets*count, sockets*count*size, sockets*count*size)
	if got := s.stop(t); got != want {
		t.Fatalf("totals %q, want %q", got, want)
	}
}

func TestReferenceServerRejectsUnknownFlags(t *testing.T) {
	if _, err := Compiler(); errors.Is(err, ErrNoCompiler) {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "echo-cref")
	if err := Build(ctx, bin); err != nil {
		t.Fatal(err)
	}
	err := exec.CommandContext(ctx, bin, "--udp", "--bogus").Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("unknown flag: %v, want exit status 2", err)
	}
}
